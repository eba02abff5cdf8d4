"""The training core (course_lib.training): budgets and cadences (0 = none), the run folder's log,
and that both course trainers hand their work to the one loop."""

import json

import numpy as np
import pytest

from course_lib.training import Budget, Every, RunFolder


def test_budgets_and_cadences_use_zero_for_none():
    assert not Budget().spent(10**9, 1e9, 1e9)  # no limit at all
    assert Budget(max_steps=5).spent(5, 0, 0) and not Budget(max_steps=5).spent(4, 1e9, 1e9)
    assert Budget(minutes=1).spent(0, 60, 0) and not Budget(minutes=1).spent(0, 59, 1e9)
    session = Budget(minutes=1, per_session=True)  # WaveGlow's --minutes: this invocation's time
    assert session.spent(0, 0, 60) and not session.spent(0, 1e9, 59)
    assert Every(steps=3).due(6, 0) and not Every(steps=3).due(7, 1e9)
    assert Every(minutes=2).due(1, 120) and not Every(minutes=2).due(1, 119)
    assert not Every().due(0, 1e9)


def test_a_resumed_log_keeps_its_lines_up_to_the_checkpoint(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.start_log(None)
    for step in (2, 4, 6):
        run.append({"step": step})
    with open(run.log, "a") as f:
        f.write('{"step": 8, "val')  # cut by a kill
    run.start_log(4)
    assert [json.loads(line)["step"] for line in run.log.read_text().splitlines()] == [2, 4]
    run.start_log(None)  # a fresh run starts a fresh log
    assert not run.log.exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        RunFolder(tmp_path / "file")


class _Reached(Exception):
    pass


def test_both_trainers_run_the_one_loop(tmp_path, monkeypatch):
    from course_lib.tts.tacotron2.train import trainer
    from course_lib.tts.waveglow import train as wg
    from tests.test_train import config, fake_data
    from tests.test_waveglow_train import SMALL, fake_waves

    seen = []

    def fit(task, *args, **kwargs):
        seen.append(type(task).__name__)
        raise _Reached

    monkeypatch.setattr(trainer, "fit", fit)
    monkeypatch.setattr(wg, "fit", fit)
    with pytest.raises(_Reached):
        trainer.train(config(), tmp_path / "t2", fake_data(), progress=False)
    waves = [np.asarray(w) for w in fake_waves()]
    with pytest.raises(_Reached):
        wg.train(wg.WaveGlowTrainConfig(preset=SMALL, max_steps=1), tmp_path / "wg", waves=waves, val_waves=waves)
    assert seen == ["Tacotron2Task", "WaveGlowTask"]
