"""Tables: named numpy columns of one length, with row labels. The metrics stage and
the rules engine work on these, so that a command answering from the store (`last10`,
`why`, `post`, the digest, the check-ins) never loads pandas: importing pandas costs
more than such a command's whole work. pandas frames come in and go out at the edges
(`of`, `to_pandas`), for callers that build or read frames (rule tests, the public
`post_metrics` and `account_metrics`).

Times are `datetime64[us]` columns holding UTC, without a zone attached; NaN marks a
missing number, None a missing text, NaT a missing time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

TIME = np.dtype("datetime64[us]")


@dataclass(frozen=True, eq=False)
class Table:
    """Columns by name (numpy arrays of equal length) and one label per row."""

    columns: dict[str, np.ndarray]
    index: np.ndarray
    index_name: str | None = None
    _positions: dict[Any, int] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        columns: Mapping[str, Any],
        index: Iterable[Any] | None = None,
        index_name: str | None = None,
    ) -> Table:
        """A table of `columns` (arrays or lists); rows are labelled 0, 1, ... unless
        `index` labels them."""
        arrays = {name: _array(values) for name, values in columns.items()}
        rows = len(next(iter(arrays.values()))) if arrays else 0
        if index is None:
            labels = np.arange(rows)
        else:
            labels = _array(list(index) if not isinstance(index, np.ndarray) else index)
        for name, values in arrays.items():
            if len(values) != len(labels):
                raise ValueError(f"column {name!r} has {len(values)} rows, not {len(labels)}")
        return cls(arrays, labels, index_name)

    @classmethod
    def of(cls, frame: Table | pd.DataFrame) -> Table:
        """`frame` itself if a Table; a pandas frame's columns and index, with its
        times as UTC `datetime64[us]` and nullable numbers as floats."""
        if isinstance(frame, Table):
            return frame
        import pandas as pd

        columns = {}
        for name in frame.columns:
            columns[str(name)] = _from_series(frame[name], pd)
        index = frame.index
        labels = (
            np.arange(len(frame))
            if isinstance(index, pd.RangeIndex)
            else _from_series(index.to_series(index=None), pd)
        )
        return cls(columns, labels, index.name)

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def get(self, name: str) -> np.ndarray | None:
        return self.columns.get(name)

    def floats(self, name: str) -> np.ndarray:
        """A column as float64, NaN where missing or not a number (all NaN if absent)."""
        values = self.columns.get(name)
        if values is None:
            return np.full(len(self), np.nan)
        if values.dtype == np.float64:
            return values
        if values.dtype.kind in "iub":
            return values.astype(float)
        return np.array([as_number(cell) for cell in values.tolist()], dtype=float)

    def take(self, rows: np.ndarray) -> Table:
        """The rows a boolean mask or an array of positions picks, in that order."""
        return Table(
            {name: values[rows] for name, values in self.columns.items()},
            self.index[rows],
            self.index_name,
        )

    def head(self, count: int) -> Table:
        return self if count >= len(self) else self.take(np.arange(count))

    def with_columns(self, **columns: Any) -> Table:
        """A copy with `columns` added or replaced (a scalar fills every row)."""
        added = {
            name: np.full(len(self), value, dtype=object) if np.ndim(value) == 0 else _array(value)
            for name, value in columns.items()
        }
        return Table({**self.columns, **added}, self.index, self.index_name)

    def position(self, label: Any) -> int:
        """The row of `label` (its first, if repeated); KeyError if there is none."""
        if not self._positions and len(self):
            for position, value in enumerate(self.index.tolist()):
                self._positions.setdefault(value, position)
        return self._positions[label]

    def has(self, label: Any) -> bool:
        try:
            self.position(label)
        except KeyError:
            return False
        return True

    def row(self, label: Any) -> dict[str, Any]:
        """One row as Python values, by label."""
        return self.record(self.position(label))

    def record(self, position: int) -> dict[str, Any]:
        """One row as Python values: floats (NaN if missing), text or None, and times
        as UTC datetimes (None if missing)."""
        return {name: _cell(values[position]) for name, values in self.columns.items()}

    def records(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        """(label, row as Python values) for each row, read a column at a time."""
        names = list(self.columns)
        cells = [_cells(self.columns[name]) for name in names]
        for label, row in zip(self.index.tolist(), zip(*cells, strict=True), strict=True):
            yield label, dict(zip(names, row, strict=True))

    def to_pandas(self) -> pd.DataFrame:
        """The same rows as a pandas frame: times as UTC, labels as the index."""
        import pandas as pd

        data = {}
        for name, values in self.columns.items():
            if values.dtype.kind == "M":
                data[name] = pd.DatetimeIndex(values.astype(TIME)).tz_localize("UTC")
            else:
                data[name] = values
        return pd.DataFrame(data, index=pd.Index(self.index, name=self.index_name))


def as_number(value: object) -> float:
    """One cell as a number: NaN where it is none (None, text that is not a number)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def as_time(moment: datetime) -> np.datetime64:
    """An aware moment as a Table's UTC time (`to_datetime` reads one back)."""
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def to_datetime(value: np.datetime64) -> datetime | None:
    """One time of a Table as an aware UTC datetime; None for NaT."""
    if np.isnat(value):
        return None
    return value.astype(TIME).item().replace(tzinfo=UTC)


def _array(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    array = np.asarray(values)
    if array.dtype.kind in "USV" or array.ndim != 1:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    return array


def _cell(value: Any) -> Any:
    if isinstance(value, np.datetime64):
        return to_datetime(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _cells(values: np.ndarray) -> list[Any]:
    if values.dtype.kind == "M":
        return [to_datetime(v) for v in values]
    return values.tolist()


def _from_series(series: pd.Series, pd: Any) -> np.ndarray:
    """A pandas column as a Table column."""
    dtype = series.dtype
    types = pd.api.types
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        return series.to_numpy(dtype=TIME)
    numeric = types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype)
    if types.is_extension_array_dtype(dtype) and numeric:  # nullable: NA becomes NaN
        return series.to_numpy(dtype=float, na_value=np.nan)
    if numeric:
        return series.to_numpy()
    if types.infer_dtype(series, skipna=True) == "datetime":
        return pd.to_datetime(series, utc=True).to_numpy(dtype=TIME)
    return series.to_numpy(dtype=object, na_value=None)
