"""The embedded default: scikit-learn's bundled 8x8 digits (1,797 images, values 0-16), no download needed."""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from latentbench.data.base import DatasetBase, Split
from latentbench.data.hashing import file_digests
from latentbench.errors import DataError

LABEL = "scikit-learn bundled 8x8 digits (UCI optdigits test set)"


def bundled_file() -> Path:
    """The CSV that scikit-learn ships and `load_digits` parses."""
    return Path(str(resources.files("sklearn.datasets.data") / "digits.csv.gz"))


class Digits(DatasetBase):
    """sklearn.datasets.load_digits as uint8 (N, 8, 8) images with 17 grey levels (0..16), one split ``all``."""

    name = "digits"
    splits = ("all",)
    layout = "x: (1797, 8, 8) uint8 in 0..16, y: (1797,) int64 in 0..9"

    def load(self, split: str) -> Split:
        self.check_split(split)
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images = np.asarray(bunch.images)
        if images.shape[1:] != (8, 8) or not np.array_equal(images, np.round(images)) or images.max() > 16:
            raise DataError(f"scikit-learn's digits are not 8x8 integer images in 0..16 (got {images.shape})")
        return Split(
            dataset=self.name,
            split=split,
            x=images.astype(np.uint8),
            y=np.asarray(bunch.target, dtype=np.int64),
            copy=LABEL,
            official=True,
            fingerprint=self.fingerprint(split),
        )

    def fingerprint(self, split: str | None = None) -> dict[str, Any]:
        digests = file_digests(bundled_file())
        out: dict[str, Any] = {
            "dataset": self.name,
            "copy": LABEL,
            "copy_id": "sklearn",
            "official": True,
            "checksums": {f"{self.name}/digits.csv.gz": f"sha256:{digests.sha256}"},
        }
        if split is not None:
            out["split"] = split
        return out

    def unavailable_reason(self) -> str | None:
        path = bundled_file()
        return None if path.is_file() else f"digits: scikit-learn's bundled {path} is missing (reinstall scikit-learn)"
