"""The `podium` commands: each a function of its context answering an exit code. They call
the Python client (podium_client.client) and show what it answers (podium_client.output)."""

from __future__ import annotations

import getpass
import socket
import tempfile
import zipfile
from pathlib import Path

from podium_bundle import parser as bundle_parser
from podium_bundle.problems import BundleInvalid
from podium_client import config
from podium_client.client import ENDED, JSON, OUTPUTS, Client
from podium_client.context import Code, Context, UsageError, ask, existing, json_option, target
from podium_client.errors import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    EndpointMissing,
    NotFound,
    PermissionDenied,
    PodiumError,
    ServerError,
    UnexpectedResponse,
)
from podium_client.output import Output, human_size, when

# Accounts


def login(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    saved = config.stored(ctx.config_path())
    url = getattr(args, "url", None) or ctx.environ.get("PODIUM_URL") or saved.url
    if not url:
        url = ask(ctx, "Server address: ")
    token = getattr(args, "token", None) or ctx.environ.get("PODIUM_TOKEN")
    with Client(url, token) as client:
        token_id = None
        if not token:
            username = args.username or ask(ctx, "Username or email: ")
            if args.password_stdin:
                password = ctx.stdin.readline().rstrip("\n")
            elif ctx.stdin.isatty():
                password = getpass.getpass("Password: ")
            else:
                raise UsageError("no password: pass --password-stdin and send it on stdin")
            name = args.name or f"podium CLI on {socket.gethostname()}"
            try:
                created = client.obtain_token(
                    username, password, name=name, expires_in_days=args.expires_in_days
                )
            except (BadRequest, PermissionDenied) as refused:
                # Wrong credentials, or an address not verified yet: not signed in either way.
                out.error(str(refused))
                return Code.AUTH
            token, token_id = created["token"], created["id"]
        account = client.me()
        stored = config.Settings(
            url=client.base_url, token=token, username=account["username"], token_id=token_id
        )
        config.save(stored, ctx.config_path())
    shown = {"url": stored.url, "username": stored.username, "token_id": token_id}
    out.result(
        {**shown, "config": str(ctx.config_path())},
        lambda: out.out.print(f"Signed in to {stored.url} as {stored.username}.", markup=False),
    )
    out.say(f"Token stored in {ctx.config_path()} (readable by you only).")
    return Code.OK


def logout(ctx: Context) -> Code:
    path = ctx.config_path()
    saved = config.stored(path)
    revoked = False
    if saved.url and saved.token and saved.token_id is not None:
        with Client(saved.url, saved.token) as client:
            try:
                client.revoke_token(saved.token_id)
                revoked = True
            except (ConnectionFailed, ServerError, UnexpectedResponse, EndpointMissing) as exc:
                ctx.out.say(
                    f"The token stays valid on the server, which did not revoke it ({exc})."
                )
            except (AuthenticationFailed, NotFound):
                revoked = True  # revoked already, on the website or by another `podium logout`
    forgotten = config.forget(path)
    message = (
        f"Signed out of {saved.url}" + (" (token revoked)" if revoked else "")
        if forgotten
        else "Not signed in"
    )
    ctx.out.result(
        {"signed_out": forgotten, "revoked": revoked},
        lambda: ctx.out.out.print(message + ".", markup=False),
    )
    return Code.OK


# Competitions


def competitions(ctx: Context) -> Code:
    client = ctx.client(signed_in=ctx.args.mine)
    rows = client.my_competitions() if ctx.args.mine else client.competitions()
    headers = ["ID", "Title", "Type", "Organizer", "Published"]

    def show() -> None:
        ctx.out.table(
            headers + (["Role"] if ctx.args.mine else []),
            (
                [
                    row["id"],
                    row["title"],
                    row["competition_type"],
                    row["created_by"],
                    row["published"],
                ]
                + ([row["role"]] if ctx.args.mine else [])
                for row in rows
            ),
            title="Your competitions" if ctx.args.mine else "Competitions",
        )

    ctx.out.result(rows, show)
    return Code.OK


def competition(ctx: Context) -> Code:
    client = ctx.client(signed_in=False)
    found = client.competition(ctx.args.competition)
    out = ctx.out

    def show() -> None:
        organizers = ", ".join([found["created_by"], *found.get("collaborators", [])])
        out.fields(
            [
                ("Competition", found["id"]),
                ("Title", found["title"]),
                ("Type", found["competition_type"]),
                ("Organizers", organizers),
                ("Published", found["published"]),
                (
                    "Registration",
                    "automatic approval"
                    if found["registration_auto_approve"]
                    else "approved by the organizers",
                ),
                ("Contact", found.get("contact_email") or None),
                ("You organize it", found.get("is_organizer", False)),
                ("Page", f"{client.base_url}/competitions/{found['id']}/"),
            ]
        )
        if found.get("description"):
            out.out.print()
            out.out.print(found["description"], markup=False)
        out.out.print()
        out.table(
            ["Phase ID", "Name", "Start", "End"],
            ([p["id"], p["name"], when(p["start"]), when(p["end"])] for p in found["phases"]),
            title="Phases",
        )
        out.out.print()
        out.table(
            ["Leaderboard ID", "Key", "Title"],
            ([b["id"], b["key"], b["title"]] for b in found["leaderboards"]),
            title="Leaderboards",
        )

    out.result(found, show)
    return Code.OK


def publish(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    found = ctx.client().publish(args.competition, published=not args.unpublish)
    state = "published" if found["published"] else "not published"
    out.result(
        found,
        lambda: out.out.print(
            f"Competition {found['id']} ({found['title']}) is {state}.", markup=False
        ),
    )
    return Code.OK


def register(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    client = ctx.client()
    answers = json_option(args.answers, "--answers")
    accept = args.accept_terms
    if not accept and ctx.stdin.isatty():
        found = client.competition(args.competition)
        if (found.get("terms") or "").strip():
            out.say(f"Terms of {found['title']!r}: {client.base_url}/competitions/{found['id']}/")
            accept = ask(ctx, "Do you accept them? [y/N] ").lower() in ("y", "yes")
    registration = client.register(args.competition, accept_terms=accept, answers=answers)
    status = registration["status"]
    said = {
        "approved": "approved: you may submit",
        "pending": "pending: the organizers decide, and you are emailed",
    }.get(status, status)
    out.result(
        registration,
        lambda: out.out.print(
            f"Registration {registration['id']} to competition {args.competition}: {said}.",
            markup=False,
        ),
    )
    return Code.OK


def participants(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    client = ctx.client()
    if args.deny is not None and not args.reason:
        raise UsageError("--deny needs --reason: the participant reads it")
    chosen = args.approve if args.approve is not None else args.deny
    if chosen is not None:
        registration = _registration(client, args.competition, chosen)
        if args.approve is not None:
            decided = client.approve(registration["id"])
        else:
            decided = client.deny(registration["id"], reason=args.reason)
        out.result(
            decided,
            lambda: out.out.print(
                f"{decided['user']} (registration {decided['id']}) is now {decided['status']}.",
                markup=False,
            ),
        )
        return Code.OK
    rows = client.participants(competition=args.competition, status=args.status)
    out.result(
        rows,
        lambda: out.table(
            ["ID", "User", "Email", "Status", "Reason", "Registered"],
            (
                [
                    r["id"],
                    r["user"],
                    r["email"],
                    r["status"],
                    r["reason"] or None,
                    when(r["created_at"]),
                ]
                for r in rows
            ),
            title=f"Registrations to competition {args.competition}",
        ),
    )
    return Code.OK


def _registration(client: Client, competition: int, who: str) -> JSON:
    """The registration `who` names in `competition`: its id, or its user's name. Checked
    first, so that a mistyped id decides nothing in another competition."""
    if who.isdigit():
        found = client.participant(int(who))
        if found["competition"] != competition:
            raise UsageError(
                f"registration {who} is to competition {found['competition']}, not {competition}"
            )
        return found
    for row in client.participants(competition=competition):
        if row["user"] == who:
            return row
    raise UsageError(f"{who!r} has not registered to competition {competition}")


# Submissions


def submit(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    path = existing(args.file)
    client = ctx.client()
    answers = json_option(args.fact_sheet, "--fact-sheet")
    with out.transfer(f"Uploading {path.name}") as progress:
        created = client.submit(
            phase=args.phase,
            path=path,
            fact_sheet_answers=answers,
            organization=args.organization,
            progress=progress,
        )
    out.say(f"Submission {created['id']} to phase {args.phase}: {created['status']}")
    if not args.wait:
        out.result(created, lambda: _show_submission(out, created))
        return Code.OK
    with out.status(_status_line(created)) as update:
        details = client.wait(
            created["id"],
            poll=args.poll,
            timeout=args.timeout,
            on_details=lambda seen: update(_status_line(seen)),
        )
    out.result(details, lambda: _show_details(out, details))
    return Code.OK if details["status"] == "finished" else Code.FAILED


def submissions(ctx: Context) -> Code:
    args = ctx.args
    client = ctx.client(signed_in=args.mine)
    rows = client.submissions(phase=args.phase, mine=args.mine, status=args.status)
    ctx.out.result(
        rows,
        lambda: ctx.out.table(
            ["ID", "Phase", "Owner", "Status", "Detail", "Created"],
            (
                [
                    r["id"],
                    r["phase"],
                    r["owner"],
                    r["status"],
                    r["status_detail"] or None,
                    when(r["created_at"]),
                ]
                for r in rows
            ),
            title="Submissions",
        ),
    )
    return Code.OK


def submission(ctx: Context) -> Code:
    details = ctx.client(signed_in=False).details(ctx.args.submission)
    ctx.out.result(details, lambda: _show_details(ctx.out, details))
    return Code.OK


def logs(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    client = ctx.client(signed_in=False)
    details = client.details(args.submission)
    out.say(_status_line(details))
    if not args.full:
        tail = details["log_tail"]
        if tail is None:
            raise PodiumError(f"the phase does not show the logs of submission {args.submission}")
        if not tail:
            out.say("No logs yet.")
        out.result(
            {"id": details["id"], "status": details["status"], "log_tail": tail},
            lambda: out.out.print(
                tail, markup=False, end="" if tail.endswith("\n") or not tail else "\n"
            ),
        )
        return Code.OK
    with tempfile.TemporaryDirectory(prefix="podium-logs-") as folder:
        archive = client.download(args.submission, "logs", Path(folder) / "logs.zip")
        files = _log_files(archive)

    def show() -> None:
        for name, text in files.items():
            out.out.print(f"==> {name} <==", style="bold", markup=False)
            out.out.print(text, markup=False, end="" if text.endswith("\n") else "\n")

    out.result({"id": details["id"], "status": details["status"], "logs": files}, show)
    return Code.OK


def _log_files(archive: Path) -> dict[str, str]:
    # The server caps logs; the cap here keeps a terminal usable if another server does not.
    limit = 10 * 1024 * 1024
    files = {}
    with zipfile.ZipFile(archive) as logs_zip:
        for member in sorted(logs_zip.infolist(), key=lambda info: info.filename):
            if member.is_dir():
                continue
            with logs_zip.open(member) as stream:
                files[member.filename] = stream.read(limit).decode("utf-8", errors="replace")
    return files


def cancel(ctx: Context) -> Code:
    cancelled = ctx.client().cancel(ctx.args.submission)
    ctx.out.result(cancelled, lambda: _show_submission(ctx.out, cancelled))
    return Code.OK


def rerun(ctx: Context) -> Code:
    again = ctx.client().rerun(ctx.args.submission)
    ctx.out.say(f"Submission {ctx.args.submission} runs again as submission {again['id']}")
    ctx.out.result(again, lambda: _show_submission(ctx.out, again))
    return Code.OK


def download(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    client = ctx.client(signed_in=False)
    suffix = ".html" if args.what == "detailed_results" else ".zip"
    destination = target(args.output, f"submission-{args.submission}-{args.what}{suffix}")
    with out.transfer(f"Downloading {args.what.replace('_', ' ')}") as progress:
        saved = client.download(args.submission, args.what, destination, progress=progress)
    size = saved.stat().st_size
    out.result(
        {"submission": args.submission, "what": args.what, "path": str(saved), "size": size},
        lambda: out.out.print(f"Saved {saved} ({human_size(size)}).", markup=False),
    )
    return Code.OK


def leaderboard(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    chosen = args.add if args.add is not None else args.remove
    client = ctx.client(signed_in=chosen is not None)
    if chosen is not None:
        phase = client.submission(chosen)["phase"]
        if phase != args.phase:
            raise UsageError(f"submission {chosen} is in phase {phase}, not {args.phase}")
        if args.add is not None:
            entries = client.add_to_leaderboard(chosen)
        else:
            entries = client.remove_from_leaderboard(chosen)
        where = "on" if entries["on_leaderboard"] else "not on"
        out.say(f"Submission {chosen} is {where} the leaderboard of phase {args.phase}")
    board = client.leaderboard(args.phase)
    columns = [column for column in board["columns"] if not column["hidden"]]
    organized = any(row["organization"] for row in board["results"])

    def who(row: JSON) -> str:
        marks = [" (baseline)" if row["is_baseline"] else "", " (you)" if row["is_mine"] else ""]
        return str(row["participant"]) + "".join(marks)

    def show() -> None:
        head = board["leaderboard"]
        out.table(
            [
                "Rank",
                "Participant",
                *(["Organization"] if organized else []),
                "Submission",
                *(column["title"] for column in columns),
            ],
            (
                [
                    row["rank_label"] or None,
                    who(row),
                    *([row["organization"]] if organized else []),
                    row["submission"],
                    *(row["display"].get(column["key"]) for column in columns),
                ]
                for row in board["results"]
            ),
            title=f"{head['title']} (phase {board['phase']})",
        )

    out.result(board, show)
    return Code.OK


# Bundles


def bundle_upload(ctx: Context) -> Code:
    out = ctx.out
    path = existing(ctx.args.path)
    client = ctx.client()
    with out.transfer(f"Uploading {path.name}") as progress:
        created = client.upload_bundle(path, progress=progress)
    for warning in created.get("warnings", []):
        out.say(f"warning: {warning}", style="yellow")

    def show() -> None:
        out.fields(
            [
                ("Competition", created["competition"]),
                ("Title", created["title"]),
                ("Phases", ", ".join(f"{p['name']} ({p['id']})" for p in created["phases"])),
                ("Tasks", len(created["tasks"])),
                ("Leaderboards", ", ".join(board["key"] for board in created["leaderboards"])),
                ("Page", f"{client.base_url}/competitions/{created['competition']}/"),
            ]
        )

    out.result(created, show)
    publish_it = f"podium publish {created['competition']}"
    out.say(f"The competition is not published yet: `{publish_it}` when it is ready.")
    return Code.OK


def bundle_export(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    client = ctx.client()
    destination = target(args.output, f"competition-{args.competition}.zip")
    try:
        with out.transfer("Downloading the bundle") as progress:
            saved = client.export_bundle(args.competition, destination, progress=progress)
    except EndpointMissing:
        out.error(
            f"{client.base_url} cannot export bundles through its API; on the server, "
            f"`podium-server export-bundle {args.competition} OUT.zip` does"
        )
        return Code.UNAVAILABLE
    size = saved.stat().st_size
    out.result(
        {"competition": args.competition, "path": str(saved), "size": size},
        lambda: out.out.print(f"Saved {saved} ({human_size(size)}).", markup=False),
    )
    return Code.OK


def bundle_check(ctx: Context) -> Code:
    args, out = ctx.args, ctx.out
    path = existing(args.path)
    try:
        spec = bundle_parser.check(path, max_bytes=args.max_bytes, max_entries=args.max_entries)
    except BundleInvalid as invalid:
        errors, count = invalid.errors, len(invalid.problems)
        report = {"valid": False, "errors": errors, "warnings": invalid.warnings}
        for warning in invalid.warnings:
            out.say(f"warning: {warning}", style="yellow")

        def show_problems() -> None:
            out.out.print(f"{path}: {count} problem(s)", markup=False)
            for error in errors:
                out.out.print(f"  {error}", markup=False)

        out.result(report, show_problems)
        return Code.FAILED
    summary = {
        "valid": True,
        "errors": [],
        "warnings": spec.warnings,
        "version": spec.version,
        "title": spec.title,
        "tasks": len(spec.tasks),
        "phases": [phase.name for phase in spec.phases],
        "leaderboards": [board.key for board in spec.leaderboards],
        "solutions": len(spec.solutions),
    }
    for warning in spec.warnings:
        out.say(f"warning: {warning}", style="yellow")
    out.result(
        summary,
        lambda: out.out.print(
            f"{path}: a valid bundle (version {spec.version}): {spec.title!r}, "
            f"{len(spec.tasks)} task(s), {len(spec.phases)} phase(s), "
            f"{len(spec.leaderboards)} leaderboard(s).",
            markup=False,
        ),
    )
    return Code.OK


# Shared pieces


def _show_submission(out: Output, row: JSON) -> None:
    out.fields(
        [
            ("Submission", row["id"]),
            ("Phase", row["phase"]),
            ("Status", row["status"]),
            ("Detail", row["status_detail"] or None),
            ("Created", when(row["created_at"])),
        ]
    )


def _show_details(out: Output, details: JSON) -> None:
    files = [name for name in OUTPUTS if details["files"].get(name)]
    out.fields(
        [
            ("Submission", details["id"]),
            ("Status", details["status"]),
            ("Detail", details["status_detail"] or None),
            ("Files", ", ".join(files) or None),
        ]
    )
    if details["scores"]:
        out.out.print()
        out.table(["Column", "Score"], sorted(details["scores"].items()), title="Scores")
    if details["children"]:
        out.out.print()
        out.table(
            ["Submission", "Task", "Status", "Detail"],
            (
                [c["id"], c["task"], c["status"], c["status_detail"] or None]
                for c in details["children"]
            ),
            title="Tasks",
        )


def _status_line(details: JSON) -> str:
    detail = details.get("status_detail") or ""
    ended = " (ended)" if details["status"] in ENDED else ""
    return f"Submission {details['id']}: {details['status']}{ended}" + (
        f" - {detail}" if detail else ""
    )
