"""Build a cohort's site: parallel papermill execution on warm kernels, a content-hash
cache, an incremental Jupyter Book render and an atomic swap of the published site."""

from helpers.publish.book import DEFAULT_COHORT, BuildError, BuildReport, build_book, project_root

__all__ = ["DEFAULT_COHORT", "BuildError", "BuildReport", "build_book", "project_root"]
