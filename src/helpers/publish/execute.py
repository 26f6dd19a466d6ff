"""Execute chapter notebooks with papermill on a pool of warm kernels.

Most of a chapter's cold cost is not its analysis but starting a kernel (~1.6 s) and
importing numpy, pandas, matplotlib, seaborn, scipy, statsmodels and pingouin (~3 s).
So the pool starts one kernel per worker (one per core by default), imports those
packages once while the build does other work, and runs its share of the chapters one
after another in that kernel. Before each chapter the kernel's namespace is cleared,
matplotlib's state is reset and the working directory is set, so a chapter sees the
same clean state it would see in a fresh kernel, minus the import time.

Two pools share that machinery: :class:`ChapterPool` lives for one build (``python -m
helpers build``), :class:`KernelPool` keeps its kernels between builds (the preview
server, :mod:`helpers.publish.serve`), so that a rebuild pays no kernel start and no
import at all; it restarts them when the ``helpers`` source changes, and replaces a
kernel that died.

A chapter that raises is reported (chapter, cell, error) and its executed notebook is
kept; the other chapters still run, so one build reports every failure.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Modules imported once per kernel, before any chapter runs: what every chapter needs.
#: Modules only some chapters use (pingouin, statsmodels' formulas) are imported by the
#: first chapter that needs them, so a rebuild of one chapter pays only for its own.
WARM_IMPORTS: tuple[str, ...] = (
    "numpy", "pandas", "matplotlib", "matplotlib.pyplot", "seaborn", "scipy.stats",
    "statsmodels.stats.proportion", "great_tables", "myst_nb", "IPython.display", "helpers.chapter",
    "helpers.present.tables", "helpers.present.figures", "helpers.stats",
)

_PREPARE = """\
get_ipython().run_line_magic("reset", "-f")
import gc as _gc, os as _os, matplotlib as _mpl, matplotlib.pyplot as _plt, helpers.data as _data
_plt.close("all")
_mpl.rcdefaults()
_data.forget_loaded()  # each chapter holds only the tables it reads
{validated}_gc.collect()
_os.chdir({cwd!r})
del _gc, _os, _mpl, _plt, _data
"""


def figure_cache_for(validated_cache: Path) -> Path:
    """The folder of a build's figure cache (:func:`helpers.present.export.use_figure_cache`):
    ``figures/`` beside the validated tables, in the build's work folder, so that it is
    cleared with them (``--force``, or a new work folder: a cold build draws every figure).

    Examples
    --------
    >>> figure_cache_for(Path("/tmp/work/validated")).as_posix()
    '/tmp/work/figures'
    """
    return Path(validated_cache).parent / "figures"


def _use_figure_cache(validated_cache: Path) -> str:
    """Kernel code that points the figure exports at the build's figure cache."""
    return ("import helpers.present.export as _export\n"
            f"_export.use_figure_cache({str(figure_cache_for(validated_cache))!r})\ndel _export\n")


def _run_chapter(run, kernel, fresh_kernel, **execute) -> RunResult:
    """Run one chapter on ``kernel`` and say how it went. A kernel that died between
    chapters, before this one ran a cell, is replaced by ``fresh_kernel()`` and the
    chapter runs once more (a chapter that kills its own kernel fails as usual); every
    failure, a kernel that could not start included (``kernel`` is then the exception),
    is reported with its cell, none hidden."""
    t0 = time.perf_counter()
    try:
        if isinstance(kernel, BaseException):
            raise kernel
        try:
            kernel.execute(run, **execute)
        except KernelDiedError:
            fresh_kernel().execute(run, **execute)
        return RunResult(run.name, True, time.perf_counter() - t0, run.output)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
        text, cell, source = _describe_failure(exc, run.output)
        return RunResult(run.name, False, time.perf_counter() - t0, run.output, text, cell, {"source": source})


@dataclass
class ChapterRun:
    """What the pool is asked to run: one chapter notebook with its parameters."""

    name: str
    source: Path
    output: Path
    parameters: dict
    cwd: Path


@dataclass
class RunResult:
    """How a chapter's execution went."""

    name: str
    ok: bool
    seconds: float
    output: Path
    error: str = ""
    cell: int | None = None
    details: dict = field(default_factory=dict)


WARM_ENGINE = "helpers-warm"


class KernelDiedError(RuntimeError):
    """The kernel a chapter was to run on is gone (killed, or out of memory)."""


def _register_engine() -> None:
    """A papermill engine that runs a notebook on a kernel it is given, client included.

    papermill's own engine accepts a kernel manager but makes a new client per notebook
    (and never closes it); this one hands the warm kernel's client to nbclient.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kc = kwargs.pop("kc")
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final)
            client.kc = kc
            return client.execute()

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)


class WarmKernel:
    """One Jupyter kernel, started once, reused for several notebooks."""

    def __init__(self, kernel_name: str = "python3", warm_imports: Sequence[str] = WARM_IMPORTS,
                 startup_timeout: float = 120, validated_cache: Path | None = None):
        import os
        import tempfile

        from jupyter_client.manager import KernelManager

        self.kernel_name = kernel_name
        # Over local sockets (IPC), not TCP: nothing listens on a port, and the kernel has
        # no "running over TCP without encryption" warning to print into the build log.
        self._sockets = tempfile.mkdtemp(prefix="helpers-kernel-")
        self.km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(self._sockets, "k"))
        # No history database: chapters never read it, and a kernel that runs several
        # notebooks would otherwise log clashes of its session lines into their outputs.
        self.km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=startup_timeout)
        # nbclient awaits the client it is given: with a blocking client, waiting for
        # output from a kernel that died would block its event loop for ever, so that its
        # check that the kernel is alive never ran. It gets an asynchronous client.
        from jupyter_client.asynchronous import AsyncKernelClient

        # (Its own session: the kernel routes replies by session id.)
        self.akc = AsyncKernelClient()
        self.akc.load_connection_info(self.km.get_connection_info())
        self.akc.start_channels()
        if warm_imports:
            self._run("\n".join(f"import {m}" for m in warm_imports), timeout=startup_timeout)
        if validated_cache is not None:
            # Chapters read the tables the build validated, instead of validating again,
            # and copy the figure files drawn before from the work folder's figure cache.
            self._run(f"import helpers.data\nhelpers.data.use_validated_cache({str(validated_cache)!r})\n"
                      + _use_figure_cache(validated_cache), timeout=startup_timeout)

    def _run(self, code: str, timeout: float = 60) -> None:
        """Run preparation code; a kernel that died is reported at once, not after the
        timeout (the reply is awaited in short polls that check the kernel is alive)."""
        import queue as _queue

        msg_id = self.kc.execute(code, store_history=False, silent=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=0.5)
            except _queue.Empty:
                if not self.km.is_alive():
                    raise KernelDiedError("the chapter's kernel died before the chapter ran") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the kernel did not answer within {timeout:.0f} s") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            c = reply["content"]
            raise RuntimeError(f"kernel preparation failed: {c.get('ename')}: {c.get('evalue')}")

    def is_alive(self) -> bool:
        return self.km.is_alive()

    @property
    def pid(self) -> int | None:
        """The kernel's process id (``None`` once it is gone)."""
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def execute(self, run: ChapterRun, execution_timeout: float | None = 1800,
                validated_cache: Path | None = None) -> None:
        """Run one notebook in this kernel with papermill (raises what papermill raises).

        ``validated_cache``: read the cohort's tables from this validated cache
        (:func:`helpers.data.use_validated_cache`), for a kernel that serves builds of
        several cohorts or work folders one after another.
        """
        import papermill as pm
        from papermill.engines import papermill_engines

        if WARM_ENGINE not in papermill_engines._engines:
            _register_engine()
        validated = (f"_data.use_validated_cache({str(validated_cache)!r})\n" + _use_figure_cache(validated_cache)
                     if validated_cache is not None else "")
        self._run(_PREPARE.format(cwd=str(run.cwd), validated=validated))
        run.output.parent.mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(
            str(run.source),
            str(run.output),
            parameters=run.parameters,
            kernel_name=self.kernel_name,
            engine_name=WARM_ENGINE,
            km=self.km,
            kc=self.akc,
            progress_bar=False,
            log_output=False,
            execution_timeout=execution_timeout,
        )

    def shutdown(self) -> None:
        import shutil

        try:
            self.kc.stop_channels()
            self.akc.stop_channels()
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a kernel that is already gone is fine
            pass
        shutil.rmtree(self._sockets, ignore_errors=True)


def _first_code_line(source: str) -> str:
    code = [line for line in (source or "").splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return code[0].strip() if code else ""


def _running_cell(output: Path) -> tuple[int | None, str]:
    """The cell a partly executed notebook stopped in: its first code cell that holds
    code but has no execution count."""
    import nbformat

    try:
        nb = nbformat.read(output, as_version=4)
    except Exception:  # noqa: BLE001 - no notebook written: the cell is unknown
        return None, ""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None:
            return i, _first_code_line(cell.source)
    return None, ""


def _describe_failure(exc: BaseException, output: Path) -> tuple[str, int | None, str]:
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}", exc.cell_index, _first_code_line(exc.source)
    if isinstance(exc, DeadKernelError):
        cell, source = _running_cell(output)
        return "the kernel died (killed, or out of memory)", cell, source
    return f"{type(exc).__name__}: {exc}", None, ""


class ChapterPool:
    """Worker threads, each owning one warm kernel, that execute chapters from a queue.

    Kernels start (and import) as soon as the pool is created, so that the build can
    validate the data meanwhile; :meth:`run` then hands out the chapters.

    Parameters
    ----------
    workers : int
        Kernels to run at once (one per core is the sweet spot).
    kernel_factory : callable
        Makes a kernel; tests pass a fake.
    execution_timeout : float, optional
        Seconds a single cell may run.
    """

    def __init__(self, workers: int = 2, kernel_factory: Callable[[], WarmKernel] = WarmKernel,
                 execution_timeout: float | None = 1800):
        self.workers = max(1, workers)
        self.kernel_factory = kernel_factory
        self.execution_timeout = execution_timeout
        self._todo: queue.Queue[ChapterRun | None] = queue.Queue()
        self._results: dict[str, RunResult] = {}
        self._lock = threading.Lock()
        self._on_event: Callable[[str, ChapterRun, RunResult | None], None] | None = None
        self._threads = [
            threading.Thread(target=self._work, name=f"chapter-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for t in self._threads:
            t.start()

    def _start_kernel(self) -> WarmKernel | BaseException:
        try:
            return self.kernel_factory()
        except Exception as exc:  # noqa: BLE001 - reported against the chapter that needed it
            return exc

    def _replace(self, kernel: WarmKernel | BaseException) -> WarmKernel:
        if isinstance(kernel, WarmKernel):
            kernel.shutdown()
        return self.kernel_factory()

    def _work(self) -> None:
        kernel = self._start_kernel()
        try:
            while (run := self._todo.get()) is not None:
                if self._on_event:
                    self._on_event("start", run, None)
                if isinstance(kernel, BaseException) or not kernel.is_alive():
                    try:
                        kernel = self._replace(kernel)
                    except Exception as exc:  # noqa: BLE001 - reported as this chapter's failure
                        kernel = exc

                def fresh_kernel():
                    nonlocal kernel
                    kernel = self._replace(kernel)
                    return kernel

                result = _run_chapter(run, kernel, fresh_kernel, execution_timeout=self.execution_timeout)
                with self._lock:
                    self._results[run.name] = result
                if self._on_event:
                    self._on_event("finish", run, result)
        finally:
            if isinstance(kernel, WarmKernel):
                kernel.shutdown()

    def run(
        self,
        runs: Sequence[ChapterRun],
        on_event: Callable[[str, ChapterRun, RunResult | None], None] | None = None,
    ) -> list[RunResult]:
        """Execute ``runs`` (in this order of starting) and close the pool.

        Returns one :class:`RunResult` per chapter, in the order of ``runs``. A failed
        chapter has ``ok=False``, the error, and the index of the failing cell in the
        executed notebook, which is kept at ``output``.
        """
        self._on_event = on_event
        for r in runs:
            self._todo.put(r)
        self.close()
        return [self._results[r.name] for r in runs]

    def close(self) -> None:
        """Let every worker finish what it has and shut its kernel down."""
        for _ in self._threads:
            self._todo.put(None)
        for t in self._threads:
            t.join()


def _is_kernel(kernel: object) -> bool:
    """A started kernel (not an empty slot, nor the exception its start raised)."""
    return kernel is not None and not isinstance(kernel, BaseException)


class KernelPool:
    """Warm kernels that stay alive between builds: the preview server's.

    The kernels start (and import the scientific stack) in the background as soon as the
    pool is made; :meth:`run` executes a batch of chapters on them and leaves them
    running for the next batch. Each chapter starts in a cleared namespace, as with
    :class:`ChapterPool`; modules stay imported, so a change to the ``helpers`` source
    needs :meth:`restart`. A kernel found dead (before a chapter, or by
    :meth:`replace_dead`) is replaced by a new one.

    Parameters
    ----------
    workers : int, optional
        Kernels kept (default: one per core).
    kernel_factory : callable
        Makes a kernel; tests pass a fake.
    execution_timeout : float, optional
        Seconds a single cell may run.

    Examples
    --------
    >>> class Fake:
    ...     pid = None
    ...     def is_alive(self): return True
    ...     def execute(self, run, execution_timeout=None, validated_cache=None): pass
    ...     def shutdown(self): pass
    >>> pool = KernelPool(2, kernel_factory=Fake)
    >>> [r.ok for r in pool.run([ChapterRun("a", Path("a.ipynb"), Path("out/a.ipynb"), {}, Path("."))])]
    [True]
    >>> pool.close()
    """

    def __init__(self, workers: int | None = None, kernel_factory: Callable[[], WarmKernel] = WarmKernel,
                 execution_timeout: float | None = 1800):
        import os

        self.workers = max(1, workers or os.cpu_count() or 1)
        self.kernel_factory = kernel_factory
        self.execution_timeout = execution_timeout
        self.validated_cache: Path | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._kernels: list[WarmKernel | BaseException | None] = [None] * self.workers
        self._starting: list[threading.Thread | None] = [None] * self.workers
        for slot in range(self.workers):
            self._start(slot)

    # -- kernels -------------------------------------------------------------------
    def _start(self, slot: int) -> None:
        """Start the kernel of ``slot`` in the background (not once the pool is closed)."""
        if self._closed:
            return

        def start() -> None:
            try:
                kernel: WarmKernel | BaseException = self.kernel_factory()
            except Exception as exc:  # noqa: BLE001 - reported against the chapter that needs it
                kernel = exc
            with self._lock:
                closed = self._closed
                if not closed:
                    self._kernels[slot] = kernel
            if closed and _is_kernel(kernel):
                kernel.shutdown()  # the pool closed while this kernel started

        thread = threading.Thread(target=start, name=f"kernel-start-{slot}", daemon=True)
        self._starting[slot] = thread
        thread.start()

    def _kernel(self, slot: int) -> WarmKernel:
        """The live kernel of ``slot``, started anew when it is missing, failed or dead."""
        thread = self._starting[slot]
        if thread is not None:
            thread.join()
            self._starting[slot] = None
        kernel = self._kernels[slot]
        if not _is_kernel(kernel) or not kernel.is_alive():
            if self._closed:
                raise KernelDiedError("the kernel pool was closed (the server is stopping)")
            if _is_kernel(kernel):
                kernel.shutdown()
            kernel = self.kernel_factory()
            self._kernels[slot] = kernel
        return kernel

    def wait_ready(self) -> None:
        """Wait until every kernel has started (or failed to)."""
        for slot, thread in enumerate(self._starting):
            if thread is not None:
                thread.join()
                self._starting[slot] = None

    def pids(self) -> list[int]:
        """Process ids of the kernels running now."""
        self.wait_ready()
        return [k.pid for k in self._kernels if _is_kernel(k) and k.pid is not None]

    def replace_dead(self) -> int:
        """Start a new kernel for each that died (killed, or out of memory) while idle.
        Returns how many were replaced."""
        replaced = 0
        for slot, kernel in enumerate(self._kernels):
            if self._starting[slot] is not None and self._starting[slot].is_alive():
                continue
            if isinstance(kernel, BaseException) or (_is_kernel(kernel) and not kernel.is_alive()):
                if _is_kernel(kernel):
                    kernel.shutdown()
                self._kernels[slot] = None
                self._start(slot)
                replaced += 1
        return replaced

    def restart(self) -> None:
        """Shut every kernel down and start new ones (the ``helpers`` source changed:
        a kernel keeps the modules it imported)."""
        self.wait_ready()
        for slot, kernel in enumerate(self._kernels):
            if _is_kernel(kernel):
                kernel.shutdown()
            self._kernels[slot] = None
            self._start(slot)

    def use_validated_cache(self, folder: Path | None) -> None:
        """Where the chapters of the next batch read the cohort's validated tables."""
        self.validated_cache = Path(folder) if folder is not None else None

    # -- chapters ------------------------------------------------------------------
    def run(
        self,
        runs: Sequence[ChapterRun],
        on_event: Callable[[str, ChapterRun, RunResult | None], None] | None = None,
    ) -> list[RunResult]:
        """Execute ``runs`` (in this order of starting) on the kernels, which stay alive.

        Returns one :class:`RunResult` per chapter, in the order of ``runs``, as
        :meth:`ChapterPool.run` does.
        """
        if self._closed:
            raise RuntimeError("the kernel pool is closed")
        todo: queue.Queue[ChapterRun] = queue.Queue()
        for r in runs:
            todo.put(r)
        results: dict[str, RunResult] = {}
        validated = self.validated_cache

        def work(slot: int) -> None:
            while True:
                try:
                    run = todo.get_nowait()
                except queue.Empty:
                    return
                if on_event:
                    on_event("start", run, None)
                try:
                    kernel = self._kernel(slot)
                except Exception as exc:  # noqa: BLE001 - reported as this chapter's failure
                    kernel = exc

                def fresh_kernel(slot=slot, old=kernel):
                    old.shutdown()
                    self._kernels[slot] = None
                    return self._kernel(slot)

                result = _run_chapter(run, kernel, fresh_kernel, execution_timeout=self.execution_timeout,
                                      validated_cache=validated)
                with self._lock:
                    results[run.name] = result
                if on_event:
                    on_event("finish", run, result)

        threads = [threading.Thread(target=work, args=(slot,), name=f"chapter-worker-{slot}", daemon=True)
                   for slot in range(min(self.workers, len(runs)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [results[r.name] for r in runs]

    def close(self) -> None:
        """Shut every kernel down (a kernel still starting is shut down when it is up)."""
        with self._lock:
            self._closed = True
        for thread in self._starting:
            if thread is not None:
                thread.join()
        for slot, kernel in enumerate(self._kernels):
            if _is_kernel(kernel):
                kernel.shutdown()
            self._kernels[slot] = None

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
