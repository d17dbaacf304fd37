"""Golden files: one YAML file per scenario, shared by every driver (a syrupy extension).

Each file holds the scenario's request and, per backend, what a correct driver reports.
The snapshot is named by scenario, never by test node, so every driver is compared to the
same file, and ``--snapshot-update`` rewrites only the scenarios that ran.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import yaml
from syrupy.data import SnapshotCollections
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation
from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SnapshotIndex

from contracts._scenario import check_id

GOLDEN_DIR = Path(__file__).parent / "golden"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(value: Any) -> str:
    return yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def load(scenario_id: str, directory: Path = GOLDEN_DIR) -> dict[str, Any] | None:
    path = directory / f"{check_id(scenario_id)}.yaml"
    if not path.is_file():
        return None
    value = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict) or value.get("format") != 1:
        raise ValueError(f"{path}: not a format-1 golden file")
    return value


class GoldenExtension(SingleFileSnapshotExtension):
    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> str:
        return dump(data)

    @classmethod
    def get_snapshot_name(cls, *, test_location: PyTestLocation, index: SnapshotIndex = 0) -> str:
        if not isinstance(index, str):
            raise TypeError("golden snapshots are named by scenario: snapshot(name=scenario.id)")
        return check_id(index)

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(GOLDEN_DIR)

    @classmethod
    def write_snapshot(cls, **kwargs: Any) -> None:
        # Goldens are named by scenario on purpose, so syrupy's "cannot relate the snapshot
        # to the test location" warnings do not apply (and would fail -W error suites).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\s*Can not relate snapshot")
            super().write_snapshot(**kwargs)

    def discover_snapshots(
        self, *, test_location: PyTestLocation, ignore_extensions: list[str] | None = None
    ) -> SnapshotCollections:
        # Goldens are shared by every driver and filtered run: a run that skips some
        # scenarios (a capability the driver lacks, -k, --llm-backend) has not made the
        # others unused, so syrupy must never report or delete them. Stale goldens are
        # caught by a test that matches the files to the registered scenarios instead.
        return SnapshotCollections()
