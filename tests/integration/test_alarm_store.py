"""Alarm services and the evaluator on a migrated watch DB (SQLite and PostgreSQL), with a
fixed clock. No Celery: the evaluator is called the way watch.evaluate_shard calls it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from models import migrate
from models.errors import ConstraintViolationError, NotFoundError
from models.sessions import Database, session_scope
from models.watch import alarm_history, alarms, evaluation, metrics, suppression
from models.watch.alarm_validation import (
    validate_put_composite_alarm,
    validate_put_metric_alarm,
    validate_set_alarm_state,
)
from models.watch.datums import Datum, canonical_dimensions
from models.watch.tables import Alarm, AlarmAction, AlarmHistoryItem

T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
DEPLOYMENT = alarms.Deployment(region="us-east-1")
TENANT = "t1"


def datum(value: float, at: datetime, name: str = "CPU") -> Datum:
    return Datum(
        namespace="App", metric_name=name, dimensions=canonical_dimensions([("Host", "a")]),
        timestamp=at, unit="Percent", storage_resolution=1, sample_count=1.0, sum=value,
        minimum=value, maximum=value, distribution=((value, 1.0),),
    )  # fmt: skip


def alarm_params(name: str = "cpu-high", **overrides: object) -> dict:
    params = {
        "AlarmName": name,
        "Namespace": "App",
        "MetricName": "CPU",
        "Dimensions": [{"Name": "Host", "Value": "a"}],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 50.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": ["http://127.0.0.1:9/alarm"],
        "OKActions": ["http://127.0.0.1:9/ok"],
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def watch_db(request: pytest.FixtureRequest, settings: Settings):
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")()
    else:
        url = settings.watch_database_url
    migrate.upgrade("watch", url)
    database = Database(url, "watch")
    yield database
    database.dispose()


def put(watch_db: Database, params: dict, at: datetime = T0) -> int:
    with session_scope(watch_db) as session:
        return alarms.put_metric_alarm(
            session, DEPLOYMENT, TENANT, validate_put_metric_alarm(params), at
        ).id


def push(watch_db: Database, batch: str, *datums: Datum) -> None:
    with session_scope(watch_db) as session:
        metrics.record_batch(session, TENANT, batch, list(datums))


def evaluate_due(watch_db: Database, now: datetime) -> evaluation.EvaluationReport:
    with session_scope(watch_db) as session:
        due = evaluation.due_alarms(session, now)
        return evaluation.evaluate_alarms(session, DEPLOYMENT, due, now)


def state(watch_db: Database, name: str = "cpu-high") -> Alarm:
    with session_scope(watch_db) as session:
        alarm = alarms.find_alarm(session, TENANT, name)
        session.expunge(alarm)
        return alarm


def test_a_new_alarm_starts_unchecked_and_is_due_at_once(watch_db) -> None:
    put(watch_db, alarm_params())
    alarm = state(watch_db)
    assert alarm.state_value == "INSUFFICIENT_DATA"
    assert alarm.state_reason == "Unchecked: Initial alarm creation"
    assert alarm.state_reason_data is None
    assert alarm.next_evaluation_at == T0
    with session_scope(watch_db) as session:
        items = list(session.scalars(select(AlarmHistoryItem)))
    assert [(i.item_type, i.summary) for i in items] == [
        ("ConfigurationUpdate", 'Alarm "cpu-high" created')
    ]
    created = json.loads(items[0].data)
    assert created["type"] == "Create"
    assert created["createdAlarm"]["alarmArn"] == ("arn:aws:cloudwatch:us-east-1:t1:alarm:cpu-high")
    assert created["createdAlarm"]["okactions"] == ["http://127.0.0.1:9/ok"]


def test_breaching_data_moves_the_alarm_to_alarm_with_history_and_one_action(watch_db) -> None:
    put(watch_db, alarm_params())
    push(watch_db, "b1", datum(90.0, T0 + timedelta(seconds=10)))
    now = T0 + timedelta(seconds=61.5)  # the minute 12:00 has closed
    report = evaluate_due(watch_db, now)
    assert (report.evaluated, report.transitions, len(report.action_ids)) == (1, 1, 1)
    alarm = state(watch_db)
    assert alarm.state_value == "ALARM"
    assert alarm.state_reason == (
        "Threshold Crossed: 1 datapoint [90.0 (24/11/26 12:00:00)] was greater than the "
        "threshold (50.0)."
    )
    assert json.loads(alarm.state_reason_data)["recentDatapoints"] == [90.0]
    assert alarm.state_transitioned_at == now
    assert alarm.next_evaluation_at == T0 + timedelta(seconds=120)
    with session_scope(watch_db) as session:
        action = session.scalars(select(AlarmAction)).one()
        assert action.target == "http://127.0.0.1:9/alarm"
        assert action.payload["previous"] == "insufficient data"
        assert action.payload["current"] == "alarm"
        assert action.payload["NewStateValue"] == "ALARM"
        update = session.scalars(
            select(AlarmHistoryItem).where(AlarmHistoryItem.item_type == "StateUpdate")
        ).one()
    assert update.summary == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert json.loads(update.data)["newState"]["stateReasonData"]["threshold"] == 50.0


def test_a_second_evaluation_of_the_same_tick_stores_nothing(watch_db) -> None:
    """A duplicated tick: the first run moved next_evaluation_at, the second finds nothing."""
    put(watch_db, alarm_params())
    push(watch_db, "b1", datum(90.0, T0 + timedelta(seconds=10)))
    now = T0 + timedelta(seconds=61.5)
    assert evaluate_due(watch_db, now).transitions == 1
    again = evaluate_due(watch_db, now)
    assert (again.evaluated, again.transitions) == (0, 0)


def test_two_evaluators_racing_on_one_alarm_store_one_transition(watch_db) -> None:
    """Both read version N; the compare-and-set lets exactly one of them write."""
    put(watch_db, alarm_params())
    push(watch_db, "b1", datum(90.0, T0 + timedelta(seconds=10)))
    now = T0 + timedelta(seconds=61.5)
    with session_scope(watch_db) as first, session_scope(watch_db) as second:
        due_first = evaluation.due_alarms(first, now)
        due_second = evaluation.due_alarms(second, now)
        report_first = evaluation.evaluate_alarms(first, DEPLOYMENT, due_first, now)
        first.commit()
        report_second = evaluation.evaluate_alarms(second, DEPLOYMENT, due_second, now)
    assert (report_first.transitions, report_second.transitions) == (1, 0)
    assert report_second.lost_races == 1
    with session_scope(watch_db) as session:
        assert session.scalar(select(func.count()).select_from(AlarmAction)) == 1
        updates = select(func.count()).where(AlarmHistoryItem.item_type == "StateUpdate")
        assert session.scalar(updates) == 1


def test_a_configuration_change_wins_over_an_evaluation_of_the_old_one(watch_db) -> None:
    put(watch_db, alarm_params())
    push(watch_db, "b1", datum(90.0, T0 + timedelta(seconds=10)))
    now = T0 + timedelta(seconds=61.5)
    with session_scope(watch_db) as session:
        stale = evaluation.due_alarms(session, now)
        put(watch_db, alarm_params(Threshold=95.0), at=now)  # commits in its own session
        report = evaluation.evaluate_alarms(session, DEPLOYMENT, stale, now)
    assert (report.transitions, report.lost_races) == (0, 1)
    assert state(watch_db).next_evaluation_at == now  # the update's own evaluation is kept


def test_treat_missing_data_decides_an_alarm_with_no_data(watch_db) -> None:
    for mode in ("missing", "breaching", "notBreaching", "ignore"):
        put(watch_db, alarm_params(f"a-{mode}", TreatMissingData=mode))
    evaluate_due(watch_db, T0 + timedelta(seconds=1))
    found = {
        mode: state(watch_db, f"a-{mode}")
        for mode in ("missing", "breaching", "notBreaching", "ignore")
    }
    assert {mode: a.state_value for mode, a in found.items()} == {
        "missing": "INSUFFICIENT_DATA",
        "breaching": "ALARM",
        "notBreaching": "OK",
        "ignore": "INSUFFICIENT_DATA",
    }
    assert found["missing"].state_reason == "Insufficient Data: 3 datapoints were unknown."
    assert found["ignore"].state_reason == "Unchecked: Initial alarm creation"  # kept


def test_m_out_of_n_on_a_high_resolution_alarm(watch_db) -> None:
    put(watch_db, alarm_params(Period=10, EvaluationPeriods=3, DatapointsToAlarm=2))
    base = T0 + timedelta(seconds=30)  # E = 12:00:30: windows :20, :10, :00
    push(
        watch_db,
        "b1",
        datum(90.0, T0 + timedelta(seconds=1)),
        datum(10.0, T0 + timedelta(seconds=11)),
    )
    evaluate_due(watch_db, base + timedelta(seconds=1))
    # 1 breaching and 1 fine real point, the newest window missing: not 2 of 3 -> OK.
    assert state(watch_db).state_value == "OK"
    push(watch_db, "b2", datum(95.0, T0 + timedelta(seconds=21)))
    evaluate_due(watch_db, base + timedelta(seconds=10))
    alarm = state(watch_db)
    assert alarm.state_value == "ALARM"
    assert alarm.state_reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [95.0")
    assert alarm.next_evaluation_at == T0 + timedelta(seconds=50)


def test_set_alarm_state_holds_until_the_next_evaluation(watch_db) -> None:
    put(watch_db, alarm_params())
    push(watch_db, "b1", datum(10.0, T0 + timedelta(seconds=10)))
    evaluate_due(watch_db, T0 + timedelta(seconds=61.5))
    assert state(watch_db).state_value == "OK"
    manual = validate_set_alarm_state(
        {"AlarmName": "cpu-high", "StateValue": "ALARM", "StateReason": "testing"}
    )
    with session_scope(watch_db) as session:
        stored = alarms.set_alarm_state(
            session, DEPLOYMENT, TENANT, "cpu-high", manual, T0 + timedelta(seconds=70)
        )
    assert stored.transitioned
    assert len(stored.action_ids) == 1
    assert state(watch_db).state_reason == "testing"
    evaluate_due(watch_db, T0 + timedelta(seconds=100))  # not due yet: the manual state holds
    assert state(watch_db).state_value == "ALARM"
    push(watch_db, "b2", datum(10.0, T0 + timedelta(seconds=70)))
    evaluate_due(watch_db, T0 + timedelta(seconds=121.5))
    assert state(watch_db).state_value == "OK"


def test_set_alarm_state_on_an_unknown_alarm_is_not_found(watch_db) -> None:
    manual = validate_set_alarm_state({"AlarmName": "x", "StateValue": "OK", "StateReason": ""})
    with session_scope(watch_db) as session, pytest.raises(NotFoundError):
        alarms.set_alarm_state(session, DEPLOYMENT, TENANT, "x", manual, T0)


def test_disabled_actions_mean_a_transition_sends_nothing(watch_db) -> None:
    put(watch_db, alarm_params(ActionsEnabled=False))
    push(watch_db, "b1", datum(90.0, T0 + timedelta(seconds=10)))
    report = evaluate_due(watch_db, T0 + timedelta(seconds=61.5))
    assert (report.transitions, report.action_ids) == (1, [])


def composite(watch_db: Database, rule: str, name: str = "both") -> int:
    config = validate_put_composite_alarm(
        {"AlarmName": name, "AlarmRule": rule, "AlarmActions": ["http://127.0.0.1:9/c"]}
    )
    with session_scope(watch_db) as session:
        return alarms.put_composite_alarm(session, DEPLOYMENT, TENANT, config, T0).id


def test_a_composite_alarm_follows_its_children(watch_db) -> None:
    put(watch_db, alarm_params("a", AlarmActions=None, OKActions=None))
    put(watch_db, alarm_params("b", AlarmActions=None, OKActions=None, Threshold=80.0))
    composite(watch_db, 'ALARM(a) AND ALARM("b")')
    push(watch_db, "b1", datum(70.0, T0 + timedelta(seconds=10)))
    report = evaluate_due(watch_db, T0 + timedelta(seconds=61.5))
    # a -> ALARM, b -> OK, and the composite (due since its creation) -> OK.
    assert {state(watch_db, n).state_value for n in ("a",)} == {"ALARM"}
    assert state(watch_db, "b").state_value == "OK"
    assert state(watch_db, "both").state_value == "OK"
    assert report.parent_ids  # the children's transitions made the composite due again
    push(watch_db, "b2", datum(90.0, T0 + timedelta(seconds=70)))
    now = T0 + timedelta(seconds=121.5)
    # b's transition made the composite due; composites are evaluated after the metric
    # alarms of the same pass, so it follows b in this very pass.
    report = evaluate_due(watch_db, now)
    assert state(watch_db, "b").state_value == "ALARM"
    parent = state(watch_db, "both")
    assert parent.state_value == "ALARM"
    assert len(report.action_ids) == 1
    assert "arn:aws:cloudwatch:us-east-1:t1:alarm:b transitioned to ALARM" in parent.state_reason
    data = json.loads(parent.state_reason_data)
    assert data["triggeringAlarms"][0]["arn"].endswith(":alarm:b")


def test_composite_rules_must_name_existing_alarms(watch_db) -> None:
    put(watch_db, alarm_params("a"))
    with pytest.raises(ConstraintViolationError, match=r"alarms \[ghost\] in the alarm rule"):
        composite(watch_db, "ALARM(a) OR ALARM(ghost)")


def test_an_alarm_a_composite_names_cannot_be_deleted(watch_db) -> None:
    put(watch_db, alarm_params("a"))
    composite(watch_db, "ALARM(a)")
    with (
        session_scope(watch_db) as session,
        pytest.raises(
            ConstraintViolationError,
            match="Cannot delete a as there are composite alarm",
        ),
    ):
        alarms.delete_alarms(session, DEPLOYMENT, TENANT, ["a"], T0)
    with session_scope(watch_db) as session:  # both at once is fine, unknown names skipped
        alarms.delete_alarms(session, DEPLOYMENT, TENANT, ["a", "both", "nope"], T0)
        assert session.scalar(select(func.count()).select_from(Alarm)) == 0
        kinds = [
            json.loads(i.data)["type"]
            for i in session.scalars(
                select(AlarmHistoryItem).where(AlarmHistoryItem.item_type == "ConfigurationUpdate")
            )
        ]
    assert sorted(kinds) == ["Create", "Create", "Delete", "Delete"]


def test_describe_alarms_pages_by_name(watch_db) -> None:
    for n in range(7):
        put(watch_db, alarm_params(f"alarm-{n:02d}"))
    pages, token = [], None
    with session_scope(watch_db) as session:
        while True:
            found, token = alarms.describe_alarms(
                session, DEPLOYMENT, TENANT, max_records=3, next_token=token
            )
            pages.append([a.name for a in found])
            if token is None:
                break
    assert pages == [
        ["alarm-00", "alarm-01", "alarm-02"],
        ["alarm-03", "alarm-04", "alarm-05"],
        ["alarm-06"],
    ]


def test_history_pages_newest_first(watch_db) -> None:
    for n in range(3):
        put(watch_db, alarm_params(f"h{n}"), at=T0 + timedelta(seconds=n))
    with session_scope(watch_db) as session:
        first, token = alarm_history.describe_history(
            session, TENANT, alarm_name=None, alarm_types=["MetricAlarm"], item_type=None,
            start=None, end=None, max_records=2, next_token=None, ascending=False,
        )  # fmt: skip
        rest, end = alarm_history.describe_history(
            session, TENANT, alarm_name=None, alarm_types=["MetricAlarm"], item_type=None,
            start=None, end=None, max_records=2, next_token=token, ascending=False,
        )  # fmt: skip
    assert [i.alarm_name for i in first + rest] == ["h2", "h1", "h0"]
    assert end is None


def test_an_actions_suppressor_in_alarm_holds_composite_actions_until_its_extension(
    watch_db,
) -> None:
    put(watch_db, alarm_params("a", AlarmActions=None, OKActions=None))
    put(watch_db, alarm_params("maintenance", AlarmActions=None, OKActions=None))
    config = validate_put_composite_alarm(
        {
            "AlarmName": "guarded", "AlarmRule": "ALARM(a)",
            "AlarmActions": ["http://127.0.0.1:9/c"], "ActionsSuppressor": "maintenance",
            "ActionsSuppressorWaitPeriod": 30, "ActionsSuppressorExtensionPeriod": 45,
        }
    )  # fmt: skip
    with session_scope(watch_db) as session:
        alarms.put_composite_alarm(session, DEPLOYMENT, TENANT, config, T0)

    def set_state(name: str, value: str, at: datetime):  # type: ignore[no-untyped-def]
        manual = validate_set_alarm_state(
            {"AlarmName": name, "StateValue": value, "StateReason": "test"}
        )
        with session_scope(watch_db) as session:
            return alarms.set_alarm_state(session, DEPLOYMENT, TENANT, name, manual, at)

    evaluate_due(watch_db, T0)  # the first evaluations; the metric alarms are due next at T0+60
    set_state("maintenance", "ALARM", T0)
    set_state("a", "ALARM", T0 + timedelta(seconds=1))
    report = evaluate_due(watch_db, T0 + timedelta(seconds=2))
    assert state(watch_db, "guarded").state_value == "ALARM"
    assert report.action_ids == []  # suppressed outright: the suppressor is in ALARM

    released = T0 + timedelta(seconds=10)
    stored = set_state("maintenance", "OK", released)
    assert len(stored.action_ids) == 1  # the composite's ALARM actions, after the extension
    with session_scope(watch_db) as session:
        action = session.get(AlarmAction, stored.action_ids[0])
        assert action.alarm_name == "guarded"
        assert action.suppression == "extension"
        assert action.not_before == released + timedelta(seconds=45)
        assert suppression.still_wanted(session, action, "us-east-1")
        guarded = alarms.find_alarm(session, TENANT, "guarded")
        shown = suppression.status(session, guarded, "us-east-1", released)
    assert shown["ActionsSuppressedBy"] == "ExtensionPeriod"

    # The composite changes state before the extension ends: the held action is dropped,
    # and the new transition's actions wait for the WaitPeriod.
    set_state("a", "OK", released + timedelta(seconds=5))
    report = evaluate_due(watch_db, released + timedelta(seconds=6))
    assert state(watch_db, "guarded").state_value == "OK"
    with session_scope(watch_db) as session:
        assert not suppression.still_wanted(
            session, session.get(AlarmAction, action.id), "us-east-1"
        )
        assert report.action_ids == []  # OK has no actions on this composite


def test_a_metric_math_alarm_is_evaluated_on_its_returned_expression(watch_db) -> None:
    params = alarm_params(
        "math", Namespace=None, MetricName=None, Dimensions=None, Statistic=None, Period=None,
        Metrics=[
            {
                "Id": "m1", "ReturnData": False,
                "MetricStat": {
                    "Metric": {"Namespace": "App", "MetricName": "CPU",
                               "Dimensions": [{"Name": "Host", "Value": "a"}]},
                    "Period": 60, "Stat": "Maximum",
                },
            },
            {"Id": "e1", "Expression": "m1 * 2", "Label": "doubled"},
        ],
    )  # fmt: skip
    put(watch_db, params)
    push(watch_db, "b1", datum(30.0, T0 + timedelta(seconds=10)))
    evaluate_due(watch_db, T0 + timedelta(seconds=61.5))
    alarm = state(watch_db, "math")
    assert alarm.state_value == "ALARM"  # 2 x 30 > 50, though 30 alone is not
    assert "[60.0 (24/11/26 12:00:00)]" in alarm.state_reason
    data = json.loads(alarm.state_reason_data)
    assert "statistic" not in data  # math alarms carry neither statistic nor unit


def test_scaling_policy_actions_repeat_each_period_while_in_alarm(watch_db) -> None:
    scaling = alarms.Deployment(region="us-east-1", scaling_url_prefix="http://heat/v1/signal/")
    policy, webhook = "http://heat/v1/signal/t1/s1/ScaleUp?signature=x", "http://hook/alarm"
    put(watch_db, alarm_params(AlarmActions=[policy, webhook], OKActions=None))
    sent = []
    for minute in range(3):
        push(watch_db, f"b{minute}", datum(90.0, T0 + timedelta(minutes=minute, seconds=10)))
        with session_scope(watch_db) as session:
            now = T0 + timedelta(minutes=minute + 1, seconds=1.5)
            report = evaluation.evaluate_alarms(
                session, scaling, evaluation.due_alarms(session, now), now
            )
            sent.append(sorted(session.get(AlarmAction, i).target for i in report.action_ids))
    # The transition sends both; while ALARM holds, only the scaling policy is sent again.
    assert sent == [sorted([policy, webhook]), [policy], [policy]]
