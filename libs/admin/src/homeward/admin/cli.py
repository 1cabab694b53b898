"""`homeward`: the operators' command. Argument parsing, dispatch and printing live here; the
work is done by plain functions in the modules next to this one, which return data (each
imported when its command runs: they bring in every service, which `--help` need not wait for).

Exit codes: 0 done, 1 failed (the message says what to fix), 2 asked wrongly (usage).
Nothing printed carries personal data or a secret: payloads carry ids only by design, and
settings errors name the setting, never its value.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from homeward.admin.output import age, emit_fields, emit_json, emit_table, error, mark
from homeward.admin.services import (
    EVENTED,
    SERVICES,
    AdminError,
    UsageError,
    load_common_settings,
    load_settings,
)
from homeward.common.settings import CommonSettings

PURGE_HELP = """\
Hide dead letters from list, inspect and replay. Kafka's DeleteRecords is not used: the
Tansu broker of the embedded stack does not implement it. Instead the purge commits a
"purged up to" offset per partition for the consumer group homeward-admin.deadletters.<service>;
the records themselves go with the topic's retention (30 days)."""
ROTATE_HELP = """\
Re-wrap what a service keeps under a key-encryption key (intake and documents: data keys;
notifications: webhook secrets) under the current one, in small committed batches, while
the services run. First deploy every replica with the new key as HOMEWARD_KEY_ENCRYPTION_KEY
and the old one in HOMEWARD_RETIRED_KEY_ENCRYPTION_KEYS; afterwards, once `keys status`
shows nothing under the old key, remove it."""
REPUBLISH_HELP = """\
Publish again every outbox event the service still retains (outbox retention, 7 days by
default), or those staged since TIME, for a broker that lost data where the services cannot
see it (Kafka restored from a backup). The service's relay must be running: it publishes
them in order per key; consumers apply each event once (their inbox), so running this again
is harmless. Relays find a broker that lost data by themselves otherwise (see the README)."""
REBUILD_HELP = """\
Read every record the service's consumed topics still retain (topic retention, 14 days by
default), from the earliest, and apply each event its inbox does not know, as its consumers
would: what was applied before is skipped, so nothing happens twice. For a read model that
diverged anyway. The service may keep running; the consumer groups' offsets are untouched."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as failure:
        error(str(failure))
        return 2
    except AdminError as failure:
        error(str(failure))
        return 1
    except KeyboardInterrupt:
        error("interrupted")
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="homeward", description="Operate a Homeward deployment.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = _adder(commands)
    cmd = add("migrate", _migrate, "bring service databases to a revision (head by default)")
    cmd.add_argument("service", nargs="?", choices=SERVICES, metavar="SERVICE")
    cmd.add_argument("revision", nargs="?", default="head", metavar="REVISION")
    cmd.add_argument("--all", action="store_true", help="every service, to head")

    group = _actions(add("topics", None, "Kafka topics"))
    cmd = group("create", _topics_create, "create every Homeward topic not there yet")
    cmd.add_argument(
        "--partitions", type=int, help="default: HOMEWARD_KAFKA_DEFAULT_PARTITIONS (3)"
    )
    cmd.add_argument(
        "--replication-factor", type=int, help="default: HOMEWARD_KAFKA_REPLICATION_FACTOR (1)"
    )
    cmd.add_argument(
        "--min-insync-replicas", type=int, help="default: HOMEWARD_KAFKA_MIN_INSYNC_REPLICAS (1)"
    )
    _with_json(group("list", _topics_list, "topics on the broker, Homeward's or not"))

    group = _actions(add("deadletters", None, "what consumers gave up on"))
    _with_json(_with_service(group("list", _dl_list, "dead letters not purged, oldest first")))
    cmd = _with_json(_with_service(group("inspect", _dl_inspect, "one dead letter in full")))
    cmd.add_argument("position", metavar="PARTITION:OFFSET")
    cmd = _with_service(group("replay", _dl_replay, "republish to the original topic"))
    cmd.add_argument("position", nargs="?", metavar="PARTITION:OFFSET")
    cmd.add_argument("--all", action="store_true", help="every dead letter not purged")
    cmd = _with_service(group("purge", _dl_purge, "hide handled dead letters", PURGE_HELP))
    cmd.add_argument(
        "--before", metavar="PARTITION:OFFSET", help="those before it on its partition"
    )
    cmd.add_argument("--all", action="store_true", help="every dead letter")
    cmd.add_argument("--yes", action="store_true", help="required: a purge cannot be undone")

    group = _actions(add("outbox", None, "the transactional outbox"))
    cmd = _with_json(group("backlog", _outbox_backlog, "events committed but not yet published"))
    _with_all(cmd)
    cmd = group("republish", _outbox_republish, "publish retained events again", REPUBLISH_HELP)
    cmd.add_argument("service", choices=EVENTED, metavar="SERVICE")
    cmd.add_argument(
        "--since",
        type=_point_in_time,
        help="only events staged at or after TIME: ISO 8601 (UTC unless it says) or an age "
        "such as 90m, 6h, 2d; default: everything retained",
    )
    cmd.add_argument(
        "--wait", type=float, default=600.0, metavar="SECONDS",
        help="follow the relay's progress this long (0: do not wait); default 600",
    )  # fmt: skip

    group = _actions(add("events", None, "what services derive from the events they consume"))
    cmd = group(
        "rebuild", _events_rebuild, "rebuild read models from the retained events", REBUILD_HELP
    )
    cmd.add_argument("service", choices=EVENTED, metavar="SERVICE")

    group = _actions(add("keys", None, "key-encryption keys"))
    _with_json(_with_service(group("status", _keys_status, "rows under each key id")))
    cmd = _with_service(group("rotate", _keys_rotate, "re-wrap under the current key", ROTATE_HELP))
    cmd.add_argument("--batch-size", type=int, default=200, help="rows per transaction")

    _with_all(_with_json(add("check", _check, "configuration and connectivity")), SERVICES)
    return parser


def _adder(commands: argparse._SubParsersAction) -> Callable[..., argparse.ArgumentParser]:
    def add(
        name: str, run: Callable | None, help_text: str, description: str | None = None
    ) -> argparse.ArgumentParser:
        cmd = commands.add_parser(
            name,
            help=help_text,
            description=description or help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if run is not None:
            cmd.set_defaults(run=run)
        return cmd

    return add


def _actions(cmd: argparse.ArgumentParser) -> Callable[..., argparse.ArgumentParser]:
    return _adder(cmd.add_subparsers(dest="action", required=True, metavar="ACTION"))


def _with_service(
    cmd: argparse.ArgumentParser, services: Mapping[str, object] = EVENTED
) -> argparse.ArgumentParser:
    cmd.add_argument("service", choices=services, metavar="SERVICE", help=", ".join(services))
    return cmd


def _with_all(
    cmd: argparse.ArgumentParser, services: Mapping[str, object] = EVENTED
) -> argparse.ArgumentParser:
    cmd.add_argument("service", nargs="?", choices=services, metavar="SERVICE")
    cmd.add_argument("--all", action="store_true", help="every service (the default)")
    return cmd


def _with_json(cmd: argparse.ArgumentParser) -> argparse.ArgumentParser:
    cmd.add_argument("--json", action="store_true", help="machine-readable output")
    return cmd


def _services(
    args: argparse.Namespace, *, default_all: bool, every: Mapping[str, object] = EVENTED
) -> list[str]:
    if args.all and args.service:
        raise UsageError("name a SERVICE or give --all, not both")
    if args.service:
        return [args.service]
    if args.all or default_all:
        return list(every)
    raise UsageError("name a SERVICE or give --all")


def _migrate(args: argparse.Namespace) -> int:
    from homeward.admin import migrate

    for service in _services(args, default_all=False, every=SERVICES):
        done = asyncio.run(migrate.migrate(service, args.revision))
        print(f"{done.service}: migrated to {done.revision}")
    return 0


def _topics_create(args: argparse.Namespace) -> int:
    from homeward.admin import topics

    settings = load_common_settings()
    outcomes = asyncio.run(
        topics.create_topics(
            settings,
            partitions=_given(args.partitions, settings.kafka_default_partitions),
            replication_factor=_given(args.replication_factor, settings.kafka_replication_factor),
            min_insync_replicas=_given(
                args.min_insync_replicas, settings.kafka_min_insync_replicas
            ),
        )
    )
    for outcome in outcomes:
        print(f"{outcome.status:8}  {outcome.name}  ({outcome.detail})")
    return 1 if any(outcome.status == topics.FAILED for outcome in outcomes) else 0


def _no_secrets(service: str) -> CommonSettings:
    """Dead letters need the broker only: no secret is demanded (see `load_settings`)."""
    return load_settings(service, secrets=False)


def _given(value: int | None, default: int) -> int:
    return default if value is None else value


def _topics_list(args: argparse.Namespace) -> int:
    from homeward.admin import topics

    rows = [asdict(row) for row in asyncio.run(topics.list_topics(load_common_settings()))]
    if args.json:
        emit_json(rows)
    else:
        for row in rows:
            row["known"] = "homeward" if row["known"] else "other"
            row["partitions"] = "missing" if row["partitions"] is None else row["partitions"]
        emit_table(rows, [("name", "TOPIC"), ("partitions", "PARTITIONS"), ("known", "KNOWN")])
    return 0


def _dl_list(args: argparse.Namespace) -> int:
    from homeward.admin import deadletters

    letters = asyncio.run(deadletters.list_dead_letters(_no_secrets(args.service), args.service))
    rows = [deadletters.describe(letter) for letter in letters]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        where = (row["original_topic"], row["original_partition"], row["original_offset"])
        row["original"] = "{}[{}]@{}".format(*where)
    emit_table(
        rows,
        [("position", "POSITION"), ("failed_at", "FAILED AT"), ("event_type", "EVENT TYPE"),
         ("event_id", "EVENT ID"), ("original", "ORIGINAL"), ("attempts", "ATTEMPTS"),
         ("error", "ERROR")],
    )  # fmt: skip
    print(f"{len(rows)} dead letter(s) on {SERVICES[args.service].dead_letter_topic}")
    return 0


def _dl_inspect(args: argparse.Namespace) -> int:
    from homeward.admin import deadletters

    position = deadletters.Position.parse(args.position)
    settings = _no_secrets(args.service)
    letter = asyncio.run(deadletters.find_dead_letter(settings, args.service, position))
    (emit_json if args.json else emit_fields)(deadletters.describe(letter))
    return 0


def _dl_replay(args: argparse.Namespace) -> int:
    from homeward.admin import deadletters

    if bool(args.position) == bool(args.all):
        raise UsageError("give PARTITION:OFFSET or --all")
    position = deadletters.Position.parse(args.position) if args.position else None
    settings = _no_secrets(args.service)
    letters = asyncio.run(deadletters.replay(settings, args.service, position))
    for letter in letters:
        print(f"replayed {deadletters.position_of(letter)} to {letter.original_topic}")
    print(f"{len(letters)} dead letter(s) replayed; purge them once handled")
    return 0


def _dl_purge(args: argparse.Namespace) -> int:
    from homeward.admin import deadletters

    if bool(args.before) == bool(args.all):
        raise UsageError("give --before PARTITION:OFFSET or --all")
    if not args.yes:
        raise UsageError("a purge cannot be undone: add --yes")
    before = deadletters.Position.parse(args.before) if args.before else None
    settings = _no_secrets(args.service)
    count = asyncio.run(deadletters.purge(settings, args.service, before))
    print(f"{count} dead letter(s) purged from {SERVICES[args.service].dead_letter_topic}")
    return 0


def _outbox_backlog(args: argparse.Namespace) -> int:
    from homeward.admin import outbox

    backlogs = [asdict(asyncio.run(outbox.backlog(s))) for s in _services(args, default_all=True)]
    if args.json:
        emit_json(backlogs)
        return 0
    for row in backlogs:
        row["oldest"] = age(row["oldest_age_s"])
        lane = row["busiest_lane"]
        row["lane"] = None if lane is None else f"{lane} ({row['busiest_lane_rows']})"
    emit_table(
        backlogs,
        [("service", "SERVICE"), ("unpublished", "UNPUBLISHED"), ("oldest", "OLDEST"),
         ("lane", "BUSIEST LANE (ROWS)")],
    )  # fmt: skip
    return 0


def _outbox_republish(args: argparse.Namespace) -> int:
    from homeward.admin import outbox

    if args.wait < 0:
        raise UsageError("--wait must be 0 or more seconds")

    requeued = asyncio.run(outbox.requeue(args.service, since=args.since))
    print(
        f"{args.service}: {requeued.queued} retained event(s) queued to be published again; "
        f"{requeued.to_publish} to publish in all",
        flush=True,
    )

    def progress(published: int) -> None:
        print(f"{args.service}: {published} of {requeued.to_publish} published", flush=True)

    left = asyncio.run(outbox.follow(requeued, wait_s=args.wait, progress=progress))
    if left:
        print(
            f"{left} event(s) still wait for {args.service}'s relay: is it running? "
            "Follow with `homeward outbox backlog`"
        )
        return 1 if args.wait else 0
    return 0


def _events_rebuild(args: argparse.Namespace) -> int:
    from homeward.admin import rebuild

    def progress(group: str, read: int) -> None:
        print(f"{group}: {read} event(s) read", flush=True)

    done = asyncio.run(rebuild.rebuild_read_models(args.service, progress=progress))
    for group in done:
        print(f"{group.group}: {group.read} event(s) read, {group.applied} applied (the rest "
              "were applied already or concern no handler)")  # fmt: skip
    if not done:
        print(f"{args.service} consumes no events: nothing to rebuild")
    return 0


def _point_in_time(text: str) -> datetime:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[:-1].isdigit() and text[-1:] in units:
        return datetime.now(UTC) - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither ISO 8601 nor an age such as 6h"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _keys_status(args: argparse.Namespace) -> int:
    from homeward.admin import keys

    what, counts = asyncio.run(keys.status(args.service))
    rows = [asdict(count) for count in counts]
    if args.json:
        emit_json({"service": args.service, "protects": what, "keys": rows})
        return 0
    emit_table(rows, [("kek_id", "KEK ID"), ("role", "ROLE"), ("rows", what.upper())])
    if not rows:
        print(f"no {what} yet")
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    from homeward.admin import keys

    done = asyncio.run(keys.rotate(args.service, batch_size=args.batch_size))
    print(
        f"{done.service}: {done.moved} {done.what} re-wrapped under {done.current_kek_id} "
        f"in {done.batches} committed batch(es)"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from homeward.admin import check

    results = asyncio.run(check.run_checks(_services(args, default_all=True, every=SERVICES)))
    if args.json:
        emit_json([asdict(result) for result in results])
    else:
        for result in results:
            print(f"{mark(result.ok)} {result.name}: {result.detail}")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
