"""Exercise classes: the names used everywhere (snake_case, as the shared video folders name them)."""

from __future__ import annotations

NO_EXERCISE = "no_exercise"

# The 22 classes of the original Kaggle "Workout/Exercises Video" dataset, by this project's names.
ORIGINAL_CLASSES: dict[str, str] = {
    "bicep_curl": "barbell biceps curl",
    "bench_press": "bench press",
    "chest_fly": "chest fly machine",
    "deadlift": "deadlift",
    "decline_bench_press": "decline bench press",
    "hammer_curl": "hammer curl",
    "hip_thrust": "hip thrust",
    "incline_bench_press": "incline bench press",
    "lat_pulldown": "lat pulldown",
    "lateral_raise": "lateral raise",
    "leg_extension": "leg extension",
    "leg_raise": "leg raises",
    "plank": "plank",
    "pull_up": "pull Up",
    "push_up": "push-up",
    "romanian_deadlift": "romanian deadlift",
    "russian_twist": "russian twist",
    "shoulder_press": "shoulder press",
    "squat": "squat",
    "t_bar_row": "t bar row",
    "tricep_dips": "tricep dips",
    "tricep_pushdown": "tricep pushdown",
}

# Further classes with real clips in the shared data or asked for by the synthetic generator.
EXTRA_CLASSES: tuple[str, ...] = (
    "barbell_row", "crunch", "donkey_kick", "dumbbell_row", "face_pull", "front_raise", "glute_bridge",
    "jumping_jack", "leg_curl", "lunge", "mountain_climber", "seated_row", "shrug", "side_leg_raise",
    "sit_up", "superman", "tricep_extension", "upright_row",
)  # fmt: skip

ALL_EXERCISES: tuple[str, ...] = tuple(sorted((*ORIGINAL_CLASSES, *EXTRA_CLASSES)))

# Exercises held still: reported as time under tension rather than repetitions.
HOLDS: frozenset[str] = frozenset({"plank"})


def display_name(exercise: str) -> str:
    """'bicep_curl' -> 'bicep curl'."""
    return exercise.replace("_", " ")


# Other names people and datasets use (RepCount-A, the original Kaggle set, common spellings), compared
# with case, spaces, hyphens and underscores ignored; plain plurals ("squats", "lunges") need no entry.
ALIASES: dict[str, str] = {
    "barbellbicepscurl": "bicep_curl", "bicepscurl": "bicep_curl", "dumbbellcurl": "bicep_curl", "curl": "bicep_curl",
    "chestflymachine": "chest_fly", "pecdeck": "chest_fly", "fly": "chest_fly",
    "legraises": "leg_raise", "benchpressing": "bench_press", "jumpjack": "jumping_jack", "starjump": "jumping_jack",
    "dips": "tricep_dips", "tricepsdips": "tricep_dips", "tricepspushdown": "tricep_pushdown",
    "tricepsextension": "tricep_extension", "overheadpress": "shoulder_press", "militarypress": "shoulder_press",
    "chinup": "pull_up", "rdl": "romanian_deadlift", "hipthrusts": "hip_thrust", "tbarrow": "t_bar_row",
    "rest": NO_EXERCISE, "none": NO_EXERCISE,
}  # fmt: skip


def resolve(name: str | None) -> str | None:
    """``name`` as this project spells it when it names a known exercise ('Squats' -> 'squat'); None, and a
    name it does not know, as given (the rep counter then counts the whole pose's periodicity)."""
    return None if name is None else canonical_name(name) or name


def canonical_name(name: str) -> str | None:
    """This project's name for an exercise however it is written ('Sit-Ups', 'situp', 'barbell biceps
    curl', RepCount-A's 'bench_pressing'), or None when it names no known exercise."""
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    known = {c.replace("_", ""): c for c in (*ALL_EXERCISES, NO_EXERCISE)} | ALIASES
    known = {k[:-1]: c for k, c in known.items() if k.endswith("s")} | known  # singulars too: 'tricep dip', 'dip'
    for candidate in (key, key[:-1] if key.endswith("s") else key, key[:-2] if key.endswith("es") else key):
        if candidate in known:
            return known[candidate]
    return None


def class_name(label: str) -> str:
    """The class a folder or table label names: this project's name for a known exercise ('Squats' ->
    squat), else the label in snake_case ('Box Jump' -> box_jump), so that two spellings of one exercise
    are one class and a new one is still a usable name."""
    return canonical_name(label) or "_".join(label.strip().lower().replace("-", " ").split())
