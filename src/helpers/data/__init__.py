"""The data layer: a cohort's configuration, the data contract, reading the files
strictly, refusing identifiers, validating, and the loaded :class:`Cohort`.

Modules: ``config`` (``cohort.yml``), ``contract`` (tables and columns, as data),
``reading`` (one file, strictly), ``identifiers`` (direct identifiers in names and free
text), ``validation`` (types, values, keys, cross-table checks), ``cohort`` (loading a
cohort, and its validated cache), ``docs`` (the contract as Markdown).

It knows nothing of derivations, statistics, displays or the build.
"""

from helpers.data.cohort import (
    Cohort,
    TableStore,
    forget_loaded,
    load_cohort,
    read_validated_cache,
    share_subject_categories,
    use_validated_cache,
    write_validated_cache,
)
from helpers.data.config import CohortConfig, read_cohort_config, resolve_cohort
from helpers.data.contract import find_table_files
from helpers.data.identifiers import (
    check_identifier_columns,
    check_identifier_values,
    check_identifiers,
)
from helpers.data.reading import read_header, read_table
from helpers.data.validation import coerce_columns, find_lab_descriptor_queries, validate_table

__all__ = [
    "Cohort", "CohortConfig", "TableStore", "check_identifier_columns", "check_identifier_values",
    "check_identifiers", "coerce_columns", "find_lab_descriptor_queries", "find_table_files", "forget_loaded",
    "load_cohort", "read_cohort_config", "read_header", "read_table", "read_validated_cache", "resolve_cohort",
    "share_subject_categories", "use_validated_cache", "validate_table", "write_validated_cache",
]
