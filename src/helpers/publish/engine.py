"""The papermill engine that honours the chapters' ``needs-*`` tags (see
:mod:`helpers.publish.tags`), for chapters run by hand::

    papermill --engine helpers chapters/sri.ipynb out.ipynb -p cohort_dir data/nct02465580

It is papermill's own nbclient engine, run on the notebook without the cells that do
not apply to the cohort the ``cohort_dir`` and ``data_dir`` parameters name (given, or
the notebook's defaults). Registered under the name ``helpers`` by this package's entry
point ``papermill.engine``.
"""

from __future__ import annotations

import ast
import functools


def _parameter_values(nb) -> dict[str, object]:
    """The notebook's parameters: its ``parameters`` cell's literal defaults, then the
    values papermill injected."""
    from papermill.inspection import _infer_parameters

    values: dict[str, object] = {}
    for p in _infer_parameters(nb):
        try:
            values[p.name] = ast.literal_eval(p.default)
        except (ValueError, SyntaxError):
            values[p.name] = None
    values.update(nb.metadata.get("papermill", {}).get("parameters", {}))
    return values


@functools.cache
def _tagged_engine() -> type:
    """The engine class, made on first use: papermill imports this module while it
    registers its entry points, so the module must not import papermill's engines
    itself when it loads (that import would come back here half-done)."""
    from papermill.engines import NBClientEngine

    class TaggedEngine(NBClientEngine):
        """nbclient, on the cells that apply to the cohort."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            from helpers.publish.tags import applies, cohort_facts

            params = _parameter_values(nb_man.nb)
            if params.get("cohort_dir"):
                tables, n_arms = cohort_facts(params["cohort_dir"], params.get("data_dir"))
                nb_man.nb.cells = [c for c in nb_man.nb.cells if applies(c, tables, n_arms)]
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    return TaggedEngine


def __getattr__(name: str):
    if name == "TaggedEngine":
        return _tagged_engine()
    raise AttributeError(name)
