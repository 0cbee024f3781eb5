"""The versioned methodology file: every constant of the award's scoring, by version."""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from gsm_platform.registry import RegistryError, Strict
from gsm_platform.vocabulary import PLATFORMS

METHODOLOGY_FILE = Path(__file__).parent / "data" / "methodology.yaml"


class ActivityWeights(Strict):
    posts: float
    consistency: float


class VideoWeights(Strict):
    er: float
    reach: float


class BestAccountWeights(Strict):
    most_active: float
    most_engaging: float
    best_use_of_image: float
    best_use_of_video: float


class MethodologyVersion(Strict):
    settle_days: int = Field(ge=0)
    min_posts: int = Field(ge=1)
    consistency_block_days: int = Field(ge=1)
    activity_weights: ActivityWeights
    video_weights: VideoWeights
    nominees_per_category: int = Field(ge=1)
    platform_weights: dict[str, float] | None = None
    best_account_weights: BestAccountWeights

    @model_validator(mode="after")
    def _weights(self) -> MethodologyVersion:
        for name, ws in (
            ("activity_weights", self.activity_weights),
            ("video_weights", self.video_weights),
            ("best_account_weights", self.best_account_weights),
        ):
            total = sum(ws.model_dump().values())
            if not math.isclose(total, 1.0, abs_tol=1e-9):
                raise ValueError(f"{name} must sum to 1 (got {total})")
        if self.platform_weights is not None:
            unknown = set(self.platform_weights) - set(PLATFORMS)
            if unknown:
                raise ValueError(f"platform_weights names unknown platforms: {sorted(unknown)}")
        return self

    def platform_weight_for(self, platforms: tuple[str, ...]) -> dict[str, float]:
        """w_p per platform of an edition (see docs/methodology.md, choice 11)."""
        if self.platform_weights is None:
            return {p: 1.0 / len(platforms) for p in platforms}
        missing = [p for p in platforms if p not in self.platform_weights]
        if missing:
            raise RegistryError(f"platform_weights has no weight for the edition's platforms {missing}")
        total = sum(self.platform_weights[p] for p in platforms)
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise RegistryError(f"platform_weights of the edition's platforms must sum to 1 (got {total})")
        return {p: self.platform_weights[p] for p in platforms}


class Methodology(Strict):
    versions: dict[str, MethodologyVersion]

    def get(self, version: str) -> MethodologyVersion:
        try:
            return self.versions[version]
        except KeyError:
            raise RegistryError(
                f"methodology version {version!r} is not in {METHODOLOGY_FILE.name} (known: {', '.join(self.versions)})"
            ) from None


def load_methodology(path: str | Path = METHODOLOGY_FILE) -> Methodology:
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return Methodology.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise RegistryError(f"{path}: {problems}") from None
