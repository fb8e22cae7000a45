import json
import subprocess
import sys

import numpy as np
import pytest

from toy import toy_sequences, toy_table
from workout_analysis import WorkoutError
from workout_analysis.bundle import load_bundle, softmax
from workout_analysis.evaluate import ece, evaluate
from workout_analysis.train import TrainConfig, fit, fit_temperature, load_training_sequences, train_bundle

FAST = {"epochs": 4, "windows_per_class": 40, "hop": 10}


def test_sequence_model_learns_the_toy_task_and_a_rerun_gives_the_same_numbers():
    seqs = toy_sequences(6)
    config = TrainConfig.for_model("tcn", **FAST)
    a, metrics_a, _ = train_bundle(seqs, config, progress=False)
    b, metrics_b, _ = train_bundle(seqs, config, progress=False)
    assert metrics_a["video_accuracy"] == 1.0 and metrics_a["window_accuracy"] > 0.9
    assert metrics_a == metrics_b
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert np.array_equal(va.numpy(), vb.numpy()), k


def test_graph_network_learns_the_toy_task_and_its_bundle_round_trips(tmp_path):
    from workout_analysis.bundle import save_bundle

    seqs = toy_sequences(6)
    # a small graph network learns more slowly per epoch than the TCN: more epochs, a larger step
    bundle, metrics, _ = train_bundle(seqs, TrainConfig.for_model("gcn", **{**FAST, "epochs": 10}, lr=3e-3), progress=False)
    assert metrics["video_accuracy"] == 1.0 and metrics["window_accuracy"] > 0.9
    save_bundle(bundle, tmp_path / "gcn")
    back = load_bundle(tmp_path / "gcn")
    windows, _, _ = bundle.windows_of(seqs[0])
    assert back.kind == "gcn" and np.allclose(back.probabilities(windows), bundle.probabilities(windows), atol=1e-6)


def test_graph_network_skeleton_is_left_right_symmetric_and_needs_pose_features():
    """Mirroring (an augmentation) swaps left and right landmarks: the graph must look the same after."""
    from workout_analysis.features import BODY_LANDMARKS
    from workout_analysis.models import _body_adjacency, build_model
    from workout_analysis.sequence import MIRROR_INDEX

    a = _body_adjacency()
    swap = [BODY_LANDMARKS.index(MIRROR_INDEX[landmark]) for landmark in BODY_LANDMARKS]
    assert np.allclose(a[swap][:, swap], a) and np.allclose(a, a.T)
    assert (a > 0).sum() == len(BODY_LANDMARKS) + 2 * 22  # self-loops, the 20 bones among them, nose to shoulders
    with pytest.raises(ValueError, match="pose"):
        build_model("gcn", 99, 2)  # the original raw 99 values have no body graph


def test_split_keeps_every_source_on_one_side():
    seqs = toy_sequences(6)
    from workout_analysis.dataset import grouped_folds, split_groups

    groups = split_groups(seqs)
    for train, test in grouped_folds(seqs, 3):
        assert not set(groups[train]) & set(groups[test])
        assert {seqs[i].meta["exercise"] for i in test} == {"arm_raise", "squat"}  # stratified


def test_original_mlp_recipe_is_the_designs():
    config = TrainConfig.for_model("mlp")
    assert (config.features, config.window, config.batch_size, config.epochs, config.patience) == ("raw99", 1, 32, 80, 5)
    assert (config.lr, config.step_size, config.gamma, config.augment) == (1e-3, 10, 0.5, None)
    bundle, history = fit(toy_sequences(2), toy_sequences(1, seed=50), ["arm_raise", "squat"],
                          TrainConfig.for_model("mlp", epochs=2), progress=False)  # fmt: skip
    layers = [m for m in bundle.model.net if hasattr(m, "weight")]
    assert [tuple(m.weight.shape) for m in layers] == [(512, 99), (256, 512), (128, 256), (2, 128)]
    assert history["epochs_run"] == 2 and len(history["val_loss"]) == 2


def test_temperature_scaling_lowers_calibration_error_on_held_out_data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 4000)
    logits = rng.normal(0, 1, (4000, 4))
    logits[np.arange(4000), y] += 1.5  # right about 2/3 of the time...
    logits *= 4  # ...but far too sure of itself
    fit_half, test_half = slice(0, 2000), slice(2000, None)
    t, note = fit_temperature(logits[fit_half], y[fit_half])
    assert note is None
    before = ece(softmax(logits[test_half]), y[test_half])
    after = ece(softmax(logits[test_half] / t), y[test_half])
    assert t > 2 and after < before / 3


def test_temperature_is_not_fitted_where_no_finite_one_fits():
    """41 all-right validation windows drove T to its bound e^-3: every later answer ~100 % sure (user test)."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 400)
    logits = rng.normal(0, 1, (400, 3))
    logits[np.arange(400), y] += 6  # every window right: the NLL keeps falling as T -> 0
    t, note = fit_temperature(logits, y)
    assert t == 1.0 and "400 validation windows, 0 wrong" in note
    assert fit_temperature(logits[:41], y[:41], default=1.5)[0] == 1.5  # and a configured default is kept
    logits[:10] = -logits[:10]  # a few wrong, but too few windows to fit on
    t, note = fit_temperature(logits[:60], y[:60])
    assert t == 1.0 and "60 validation windows" in note
    t, note = fit_temperature(-logits, y)  # sure and always wrong: the NLL falls all the way to T -> infinity
    assert t == 1.0 and "ran to its bound" in note


def test_train_bundle_records_temperature_held_out_videos_and_what_was_not_evaluated():
    seqs = toy_sequences(6)
    _, metrics, history = train_bundle(seqs, TrainConfig.for_model("tcn", **FAST), progress=False)
    split = metrics["split"]
    assert len(split["validation_video_ids"]) == metrics["videos"] == split["validation_videos"]
    held = [s for s in seqs if s.meta["video_id"] in split["validation_video_ids"]]
    assert split["validation_sources"] == sorted({s.meta["source"] for s in held})
    # toy validation windows are all right: T is not fitted, and the metrics say why
    assert metrics["temperature"] == 1.0 and "not fitted" in metrics["temperature_note"]
    assert history["kept_epoch"] == history["epochs_run"]  # tcn keeps its last epoch, whatever the best loss was
    assert metrics["not_evaluated"] == []


def test_held_out_caution_and_classes_not_evaluated():
    from workout_analysis.evaluate import held_out_caution

    bundle, _ = fit(toy_sequences(3), None, ["arm_raise", "squat", "wave"], TrainConfig.for_model("tcn", **FAST),
                    progress=False)  # fmt: skip
    m = evaluate(bundle, toy_sequences(2, seed=77))
    assert m["not_evaluated"] == ["wave"] and "wave" not in m["per_class"]
    assert held_out_caution(m["videos"], 3) == ("caution: 4 held-out videos from 3 sources: one video is 25 points; "
                                                "too few to judge the model")  # fmt: skip
    assert held_out_caution(40, 4) is None and held_out_caution(1, 1, "test").startswith("caution: 1 test video from 1 source:")


def test_validation_zero_trains_on_everything_with_the_configured_temperature():
    seqs = toy_sequences(2)
    bundle, metrics, history = train_bundle(seqs, TrainConfig.for_model("tcn", **FAST, val_fraction=0.0,
                                                                        temperature=1.3), progress=False)  # fmt: skip
    assert metrics["videos"] == 0 and metrics["split"]["train_videos"] == len(seqs)
    assert bundle.temperature == 1.3 and "no validation part" in metrics["temperature_note"]
    assert history["val_loss"] == [] and history["kept_epoch"] == history["epochs_run"]


def test_evaluate_counts_videos_and_classes():
    seqs = toy_sequences(3)
    bundle, _ = fit(seqs, None, ["arm_raise", "squat"], TrainConfig.for_model("tcn", **FAST), progress=False)
    m = evaluate(bundle, toy_sequences(2, seed=77))
    assert m["videos"] == 4 and set(m["per_class"]) == {"arm_raise", "squat"}
    assert np.asarray(m["confusion"]).sum() == 4 and 0 <= m["ece"] <= 1
    assert m["video_accuracy"] == 1.0 and m["analyze_accuracy"] == 1.0  # the decoded verdict, as analyze gives it


@pytest.mark.slow
def test_cli_train_writes_bundle_metrics_and_plots(tmp_path):
    table = tmp_path / "landmarks.parquet"
    toy_table(toy_sequences(5)).to_parquet(table)
    out = tmp_path / "model"
    run = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "train", str(table), "-o", str(out),
                          "--model", "mlp", "--epochs", "3", "--quiet"], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert {p.name for p in out.iterdir()} == {"bundle.json", "weights.safetensors", "metrics.json",
                                               "learning_curves.png", "confusion_matrix.png"}  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"video_accuracy", "video_macro_f1", "window_accuracy", "per_class", "history"} <= set(metrics)
    assert load_bundle(out).kind == "mlp" and "video accuracy" in run.stdout


@pytest.mark.parametrize("name, content", [("empty.csv", ""), ("bad.csv", "not,a,table\n1,2,3\n"),
                                           ("bad.parquet", "PAR1 not really"), ("notes.txt", "hello")])  # fmt: skip
def test_bad_landmark_tables_are_errors_naming_the_file(tmp_path, name, content):
    bad = tmp_path / name
    bad.write_text(content)
    with pytest.raises(WorkoutError, match=name) as err:
        load_training_sequences(bad)
    assert "\n" not in str(err.value)


def test_cli_reports_a_bad_table_in_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,table\n1,2,3\n")
    run = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "train", str(bad), "-o", str(tmp_path / "m")],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "bad.csv" in run.stderr and not (tmp_path / "m").exists()


def test_too_few_videos_to_hold_some_out_say_what_is_needed():
    seqs = toy_sequences(1)  # one video of each exercise: none can be held out for validation
    with pytest.raises(WorkoutError, match=r"too little data .* \(2 videos of 2 exercises\): holding out 1 source in 2 needs "
                       r"an exercise with at least 2 videos"):  # fmt: skip
        train_bundle(seqs, TrainConfig.for_model("tcn", **FAST), progress=False)
    seqs = toy_sequences(3)
    for seq in seqs:
        seq.meta["source"] = "me"  # one person's videos: a number of videos is no advice
    with pytest.raises(WorkoutError, match=r"by source: all 6 videos come from one source; add videos from another"):
        train_bundle(seqs, TrainConfig.for_model("tcn", **FAST), progress=False)


def test_cli_refuses_a_graph_network_on_raw_features(tmp_path):
    table = tmp_path / "landmarks.parquet"
    toy_table(toy_sequences(2)).to_parquet(table)
    run = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "train", str(table), "-o", str(tmp_path / "m"),
                          "--model", "gcn", "--features", "raw99"], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "--model gcn" in run.stderr and not (tmp_path / "m").exists()


def test_original_csv_trains_too(tmp_path):
    from workout_analysis.sequence import ORIGINAL_CSV_COLUMNS

    import pandas as pd

    rows = [pd.DataFrame(s.xyz.reshape(len(s), 99), columns=list(ORIGINAL_CSV_COLUMNS)).assign(label=s.meta["exercise"])
            for s in toy_sequences(3)]  # fmt: skip
    path = tmp_path / "pose_landmarks_dataset.csv"
    pd.concat(rows).to_csv(path, index=False)
    seqs = load_training_sequences(path)
    assert [s.meta["exercise"] for s in seqs] == ["arm_raise", "squat"]  # consecutive rows of a label: one run


def test_without_keep_best_training_runs_every_epoch_despite_patience():
    config = TrainConfig.for_model("tcn", **{**FAST, "epochs": 3}, patience=1, keep_best=False)
    _, history = fit(toy_sequences(2), toy_sequences(1, seed=60), ["arm_raise", "squat"], config, progress=False)
    assert history["epochs_run"] == 3 and len(history["val_loss"]) == 3


def test_cross_validate_saves_each_folds_bundle_with_its_held_out_sources(tmp_path):
    from workout_analysis.evaluate import cross_validate

    seqs = toy_sequences(10)  # 5 sources of each class to train on in a fold: enough for its validation part
    config = TrainConfig.for_model("tcn", **{**FAST, "epochs": 1, "windows_per_class": 20})
    result = cross_validate(seqs, config, n_folds=2, progress=False, save_folds=tmp_path)
    assert result["n_folds"] == 2 and result["videos"] == len(seqs)
    held = [json.loads((tmp_path / str(k) / "held_out.json").read_text()) for k in range(2)]
    assert sorted(v for h in held for v in h["videos"]) == sorted(s.meta["video_id"] for s in seqs)  # each once
    for k, h in enumerate(held):
        assert set(h["sources"]) == {s.meta["source"] for s in seqs if s.meta["video_id"] in h["videos"]}
        assert load_bundle(tmp_path / str(k)).labels == ["arm_raise", "squat"]


def test_cli_train_says_how_small_the_held_out_part_is_and_what_it_could_not_do(tmp_path, capsys):
    from workout_analysis.cli import main

    table = tmp_path / "landmarks.parquet"
    toy_table(toy_sequences(4)).to_parquet(table)
    assert main(["train", str(table), "-o", str(tmp_path / "m"), "--epochs", "1", "--quiet", "--validation", "0.5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tcn: ") and "4 held out from 3 sources (source split)" in out  # tcn: the default
    assert "caution: 4 held-out videos from 3 sources: one video is 25 points" in out and "not fitted" in out
    assert load_bundle(tmp_path / "m").metrics["split"]["validation_video_ids"]
    assert main(["evaluate", str(table), "--model", str(tmp_path / "m")]) == 0  # scored on what it trained on
    assert "caution: the model was trained on 4 of these videos" in capsys.readouterr().out
    assert main(["train", str(table), "-o", str(tmp_path / "f"), "--epochs", "1", "--quiet", "--split", "frame",
                 "--model", "mlp"]) == 0  # fmt: skip
    assert "(frame split: leaky, frames of one video on both sides)" in capsys.readouterr().out
    assert main(["train", str(table), "-o", str(tmp_path / "all"), "--epochs", "1", "--quiet", "--validation", "0"]) == 0
    assert "trained on all 8 videos; nothing held out, so no metrics" in capsys.readouterr().out
    assert not (tmp_path / "all" / "confusion_matrix.png").exists()
    assert main(["train", str(tmp_path), "-o", str(tmp_path / "x")]) == 2  # a folder of videos, not a table
    err = capsys.readouterr().err
    assert "is a folder" in err and "run `workout extract" in err
    toy_table(toy_sequences(1)).to_parquet(table)
    assert main(["train", str(table), "-o", str(tmp_path / "y")]) == 2
    assert capsys.readouterr().err.startswith(f"workout: error: {table}: too little data")  # names the table


def test_original_csv_cannot_be_split_by_video_and_the_error_says_why(tmp_path, capsys):
    from workout_analysis.cli import main
    from workout_analysis.sequence import ORIGINAL_CSV_COLUMNS

    import pandas as pd

    rows = [pd.DataFrame(s.xyz.reshape(len(s), 99), columns=list(ORIGINAL_CSV_COLUMNS)).assign(label=s.meta["exercise"])
            for s in toy_sequences(3)]  # fmt: skip
    path = tmp_path / "pose_landmarks_dataset.csv"
    pd.concat(rows).to_csv(path, index=False)
    with pytest.raises(WorkoutError, match=r"no video ids .* use --split frame \(leaky"):
        train_bundle(load_training_sequences(path), TrainConfig.for_model("mlp", epochs=1), progress=False)
    assert main(["evaluate", str(path)]) == 0  # scoring it works, but its "videos" are exercises
    assert "each exercise's rows are scored as one sequence" in capsys.readouterr().out


def test_cli_evaluate_scores_a_saved_model_on_a_labelled_table(tmp_path, capsys):
    """A researcher's test folder: the figures are evaluate()'s, labels take the project's names ("Squats" is
    squat), a class the model does not know is counted and left out, and a table of none it knows is one line."""
    from workout_analysis.bundle import save_bundle

    bundle, _ = fit(toy_sequences(3), None, ["arm_raise", "squat"], TrainConfig.for_model("tcn", **FAST), progress=False)
    save_bundle(bundle, tmp_path / "model")
    test = toy_sequences(2, seed=77)
    expected = evaluate(bundle, test)
    test[2].meta["exercise"] = "Squats"
    test[0].meta["exercise"] = "Box Jump"
    toy_table(test).to_parquet(tmp_path / "test.parquet")
    from workout_analysis.cli import main

    args = ["evaluate", str(tmp_path / "test.parquet"), "--model", str(tmp_path / "model"),
            "-o", str(tmp_path / "m.json"), "--plot", str(tmp_path / "c.png")]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    scored = json.loads((tmp_path / "m.json").read_text())
    assert scored["videos"] == 3 and scored["per_class"]["squat"]["videos"] == 2  # "Squats" counted as squat
    assert expected["per_class"]["squat"]["recall"] == scored["per_class"]["squat"]["recall"]
    assert f"video accuracy {scored['video_accuracy']:.1%}" in out
    assert "not scored (classes the model does not know): box_jump (1 video)" in out
    assert "caution: 3 test videos from" in out and "remembers" not in out
    assert (tmp_path / "c.png").stat().st_size > 0
    assert main(["evaluate", str(tmp_path / "test.parquet"), "--plot", str(tmp_path / "c.txt")]) == 2  # before any work
    assert "--plot writes .png" in capsys.readouterr().err
    for s in test:
        s.meta["exercise"] = "wave"
    toy_table(test).to_parquet(tmp_path / "other.parquet")
    assert main(["evaluate", str(tmp_path / "other.parquet"), "--model", str(tmp_path / "model")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none of its 4 videos" in err and "its classes: wave" in err


def test_cli_evaluate_scores_a_model_whose_labels_are_its_folders_names(tmp_path, capsys):
    """A model trained before labels took the project's names has a folder's 'Squats' where the table now says squat."""
    from workout_analysis.bundle import save_bundle
    from workout_analysis.cli import main

    train = toy_sequences(3)
    for s in train:
        s.meta["exercise"] = {"squat": "Squats"}.get(s.meta["exercise"], s.meta["exercise"])
    bundle, _ = fit(train, None, ["Squats", "arm_raise"], TrainConfig.for_model("tcn", **FAST), progress=False)
    save_bundle(bundle, tmp_path / "model")
    toy_table(toy_sequences(1, seed=77)).to_parquet(tmp_path / "test.parquet")
    assert main(["evaluate", str(tmp_path / "test.parquet"), "--model", str(tmp_path / "model"), "-o", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["per_class"]["Squats"]["videos"] == 1
    assert "not scored" not in capsys.readouterr().out
