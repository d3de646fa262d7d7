"""Control values of the classroom app, and the configs they give (pure functions, no Solara).

Each side (left, right) has its own org model; choosing a model sets that side's slider and
switches to the preset's own values, so the app starts from the article's design and the
teacher changes one thing at a time. Company and customers (count, seed) are shared: both
models run on the same company and the same customers (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from simulation.scenario.config import Config, build_config
from simulation.scenario.presets import all_presets

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
# Switch name -> config key it sets.
SWITCHES: dict[str, str] = {
    "training": "people.training",
    "guidelines": "content.guidelines",
    "rewards": "people.rewards",
    "quota": "content.quota",
}
CUSTOMER_CHOICES: tuple[int, ...] = (1_000, 2_000, 5_000, 10_000, 20_000)
DEFAULT_MODELS: tuple[str, str] = ("centralized", "task_force")


@dataclass(frozen=True)
class SideControls:
    """The controls of one side: org model, silo strength and the four people/content switches."""

    model: str
    silo_strength: float
    training: bool
    guidelines: bool
    rewards: bool
    quota: bool

    @classmethod
    def from_preset(cls, name: str) -> SideControls:
        """The controls as the preset ``name`` sets them."""
        config = build_config({"organization": {"model": name}})
        return cls(
            model=name,
            silo_strength=float(config.organization.silo_strength),
            training=config.people.training,
            guidelines=config.content.guidelines,
            rewards=config.people.rewards,
            quota=config.content.quota,
        )

    def values(self) -> dict[str, Any]:
        """The ``{"section.key": value}`` overrides these controls stand for."""
        out: dict[str, Any] = {"organization.model": self.model, "organization.silo_strength": self.silo_strength}
        out.update({key: getattr(self, name) for name, key in SWITCHES.items()})
        return out


@dataclass(frozen=True)
class Controls:
    """Everything the app's controls set: both sides plus the shared company and customers."""

    left: SideControls
    right: SideControls
    customers: int = 5_000
    seed: int = 12345

    def side(self, side: Side) -> SideControls:
        """The controls of one side."""
        return self.left if side == "left" else self.right

    def with_model(self, side: Side, name: str) -> Controls:
        """Choose an org model for one side (its slider and switches take the preset's values)."""
        return replace(self, **{side: SideControls.from_preset(name)})

    def with_side(self, side: Side, **changes: Any) -> Controls:
        """Change one side's silo strength or switches."""
        return replace(self, **{side: replace(self.side(side), **changes)})

    def label(self, side: Side) -> str:
        """A column name for tables and exports, unique even when both sides run the same model."""
        return f"{self.side(side).model} ({side})"

    def config(self, side: Side) -> Config:
        """The validated config the model on ``side`` gets."""
        base = build_config(
            {
                "name": self.label(side),
                # start at 08:00, when staff are on duty, so the class sees work from the first step
                "simulation": {"seed": int(self.seed), "start_hour": CLASS_START_HOUR},
                "customers": {"count": int(self.customers)},
            }
        )
        return base.with_values(self.side(side).values())


CLASS_START_HOUR = 8


def default_controls() -> Controls:
    """The app's opening state: the centralized company beside the cross-functional task force."""
    return Controls(SideControls.from_preset(DEFAULT_MODELS[0]), SideControls.from_preset(DEFAULT_MODELS[1]))


def preset_names() -> list[str]:
    """Every org model the selectors offer."""
    return list(all_presets())


def _names(units: list[str]) -> str:
    return ", ".join(u.replace("_", " ") for u in units) if units else "nobody"


def handoff_route(config: Config) -> str:
    """In plain words, how a question detected in one department reaches the one that must answer."""
    org = config.organization
    if org.agency and "agency" in org.listeners:
        return "the agency passes questions to the company, slowly"
    routes = []
    if org.task_force:
        routes.append("directly inside the task-force team")
    if org.hub:
        routes.append("through the Center-of-Excellence hub")
    if org.internal_channel:
        routes.append("over an internal social channel")
    if org.shared_tool:
        routes.append("by a shared listening tool")
    if not routes:
        return "up and down the management hierarchy"
    return ", ".join(routes)


def explain(config: Config) -> list[str]:
    """A short plain-language explanation of the config's org model and the article it comes from."""
    org, preset = config.organization, all_presets()[config.organization.model]
    trained = "trained" if config.people.training else "untrained"
    return [
        preset.description,
        f"Who posts: {_names(org.posters)} ({trained}). Who listens: {_names(org.listeners)}.",
        f"Hand-offs travel {handoff_route(config)}; silo strength {org.silo_strength:.2f}.",
        f"From: {preset.source}",
    ]
