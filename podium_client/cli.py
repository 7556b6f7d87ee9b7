"""`podium`: take part in competitions and run them from a terminal, on any Podium server.

The parser here is the command line's one description: `podium --help` shows it, and
docs/reference/client-cli.md is generated from it (podium_client.reference).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
from collections.abc import Mapping
from typing import IO

from podium_client.client import OUTPUTS, StillRunning
from podium_client.commands import (
    bundle_check,
    bundle_export,
    bundle_upload,
    cancel,
    competition,
    competitions,
    download,
    leaderboard,
    login,
    logout,
    logs,
    participants,
    publish,
    register,
    rerun,
    submission,
    submissions,
    submit,
)
from podium_client.context import (
    BUNDLE_MAX_BYTES,
    BUNDLE_MAX_ENTRIES,
    EXIT_CODES,
    Code,
    Context,
    Handler,
    UsageError,
)
from podium_client.errors import (
    ApiError,
    AuthenticationFailed,
    ConnectionFailed,
    EndpointMissing,
    NotConfigured,
    NotSignedIn,
    PodiumError,
    ServerError,
    UnexpectedResponse,
)
from podium_client.output import Output

# The parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number from 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


DESCRIPTION = """\
Take part in competitions and run them from a terminal, on any Podium server.

Start with `podium login`. The server and token come from --url and --token, else the
PODIUM_URL and PODIUM_TOKEN environment variables, else what `podium login` stored in
~/.config/podium/config.json. Results go to stdout (tables, or JSON with --json) and
everything else (progress, status, warnings, errors) to stderr."""


def _common() -> argparse.ArgumentParser:
    # SUPPRESS: given before or after the command, an option is set once, never reset.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=argparse.SUPPRESS, help="the server's address (else PODIUM_URL)"
    )
    common.add_argument(
        "--token", default=argparse.SUPPRESS, help="an API token (else PODIUM_TOKEN)"
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the result as JSON on stdout",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    epilog = "exit codes:\n" + "\n".join(
        textwrap.fill(text, 88, initial_indent=f"  {code.value}  ", subsequent_indent="     ")
        for code, text in EXIT_CODES.items()
    )
    main_parser = argparse.ArgumentParser(
        prog="podium",
        description=DESCRIPTION,
        epilog=epilog,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main_parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help="what to do"
    )

    def command(
        name: str, handler: Handler, summary: str, description: str = ""
    ) -> argparse.ArgumentParser:
        found = commands.add_parser(
            name, help=summary, description=description or summary, parents=[common]
        )
        found.set_defaults(handler=handler)
        return found

    found = command(
        "login",
        login,
        "Sign in and store the server's address and a token.",
        "Exchanges a username (or email address) and password for a new API token, or checks "
        "a token given with --token or PODIUM_TOKEN, and stores both with the server's "
        "address in ~/.config/podium/config.json, readable by you only. Asks for what is "
        "missing on a terminal.",
    )
    found.add_argument("--username", help="your username or email address")
    found.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    found.add_argument("--name", help="what the new token is called on the server")
    found.add_argument(
        "--expires-in-days",
        type=int,
        metavar="DAYS",
        help="the new token stops working after DAYS days (default: never)",
    )

    command(
        "logout",
        logout,
        "Revoke the stored token and forget it.",
        "Revokes the token `podium login` made on the server, and removes the stored "
        "configuration.",
    )

    found = command("competitions", competitions, "List competitions.")
    found.add_argument(
        "--mine", action="store_true", help="only those you own or are registered in"
    )

    found = command(
        "competition",
        competition,
        "Show a competition: its settings, phases and leaderboards.",
    )
    found.add_argument("competition", type=_positive, metavar="ID", help="the competition's id")

    found = command(
        "publish",
        publish,
        "Publish a competition (organizers).",
        "Makes a competition visible to everyone, open to registrations; --unpublish hides "
        "it again. Publishing a published competition changes nothing.",
    )
    found.add_argument("competition", type=_positive, metavar="ID", help="the competition's id")
    found.add_argument("--unpublish", action="store_true", help="hide it instead")

    found = command(
        "register",
        register,
        "Register for a competition.",
        "Registers you: approved at once, or pending until the organizers decide. A "
        "competition with terms needs --accept-terms (asked on a terminal).",
    )
    found.add_argument("competition", type=_positive, metavar="ID", help="the competition's id")
    found.add_argument("--accept-terms", action="store_true", help="accept the competition's terms")
    found.add_argument("--answers", metavar="JSON", help="the registration form's answers")

    found = command(
        "participants",
        participants,
        "List a competition's registrations, or approve or deny one (organizers).",
    )
    found.add_argument(
        "competition", type=_positive, metavar="COMPETITION", help="the competition's id"
    )
    found.add_argument("--status", help="only the registrations with this status, e.g. pending")
    decision = found.add_mutually_exclusive_group()
    decision.add_argument(
        "--approve", metavar="ID", help="approve this registration (its id or username)"
    )
    decision.add_argument(
        "--deny", metavar="ID", help="deny this registration (its id or username)"
    )
    found.add_argument("--reason", help="why it is denied; the participant reads it")

    found = command(
        "submit",
        submit,
        "Submit a zip (or a folder) to a phase.",
        "Uploads the file with a progress bar and queues it. With --wait, follows its status "
        "until it ends and shows its scores; the exit code then says whether it finished.",
    )
    found.add_argument("file", metavar="FILE", help="a zip, or a folder to zip")
    found.add_argument(
        "--phase", type=_positive, required=True, metavar="ID", help="the phase's id"
    )
    found.add_argument("--wait", action="store_true", help="wait until it has ended")
    found.add_argument(
        "--fact-sheet", metavar="JSON", help="answers to the competition's fact sheet"
    )
    found.add_argument(
        "--organization", type=_positive, metavar="ID", help="submit for this organization"
    )
    found.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS", help="with --wait: give up after this"
    )
    found.add_argument(
        "--poll", type=_seconds, default=2.0, metavar="SECONDS", help="with --wait: between looks"
    )

    found = command("submissions", submissions, "List submissions.")
    found.add_argument("--phase", type=_positive, metavar="ID", help="only this phase's")
    found.add_argument("--mine", action="store_true", help="only your own")
    found.add_argument("--status", help="only those with this status, e.g. running")

    found = command("submission", submission, "Show a submission's status, scores and files.")
    found.add_argument("submission", type=_positive, metavar="ID", help="the submission's id")

    found = command(
        "logs",
        logs,
        "Print a submission's logs.",
        "Prints the end of the logs, or with --full every log file of every step.",
    )
    found.add_argument("submission", type=_positive, metavar="ID", help="the submission's id")
    found.add_argument("--full", action="store_true", help="every log file, whole")

    found = command("cancel", cancel, "Cancel a submission that has not ended.")
    found.add_argument("submission", type=_positive, metavar="ID", help="the submission's id")

    found = command("rerun", rerun, "Run a submission again as a new one (organizers).")
    found.add_argument("submission", type=_positive, metavar="ID", help="the submission's id")

    found = command(
        "leaderboard",
        leaderboard,
        "Show a phase's leaderboard, or choose what is on it.",
        "Shows a phase's leaderboard. Where its rule leaves it to participants (Add, "
        "Add_And_Delete, Add_And_Delete_Multiple), --add puts one of your finished submissions "
        "on it and --remove takes one off; under the other rules the server places them.",
    )
    found.add_argument("phase", type=_positive, metavar="PHASE", help="the phase's id")
    entry = found.add_mutually_exclusive_group()
    entry.add_argument(
        "--add", type=_positive, metavar="SUBMISSION", help="put this submission on it"
    )
    entry.add_argument(
        "--remove", type=_positive, metavar="SUBMISSION", help="take this submission off it"
    )

    found = command(
        "download",
        download,
        "Download one of a submission's files.",
        "Saves the file as submission-ID-WHAT.zip (.html for detailed results) in the current "
        "folder, or where -o says.",
    )
    found.add_argument(
        "submission", type=_positive, metavar="SUBMISSION", help="the submission's id"
    )
    found.add_argument(
        "--what", choices=OUTPUTS, default="predictions", help="which file (predictions)"
    )
    found.add_argument("-o", "--output", metavar="PATH", help="where to save it (a file or folder)")

    bundle = commands.add_parser(
        "bundle",
        help="Competition bundles: upload, export, check (organizers).",
        description="Competition bundles: upload, export, check (organizers).",
    )
    actions = bundle.add_subparsers(
        dest="action", metavar="ACTION", required=True, help="what to do with a bundle"
    )

    def action(
        name: str, handler: Handler, summary: str, description: str
    ) -> argparse.ArgumentParser:
        found = actions.add_parser(name, help=summary, description=description, parents=[common])
        found.set_defaults(handler=handler)
        return found

    found = action(
        "upload",
        bundle_upload,
        "Create a competition from a bundle.",
        "Uploads a bundle (a zip, or a folder zipped on the way) and creates an unpublished "
        "competition you own. A refused bundle lists every problem, and creates nothing.",
    )
    found.add_argument("path", metavar="PATH", help="the bundle: a zip or a folder")

    found = action(
        "export",
        bundle_export,
        "Download a competition as a bundle.",
        "Saves the competition as a bundle zip that imports back into an equal competition, "
        "as competition-ID.zip or where -o says.",
    )
    found.add_argument(
        "competition", type=_positive, metavar="COMPETITION", help="the competition's id"
    )
    found.add_argument("-o", "--output", metavar="PATH", help="where to save it (a file or folder)")

    found = action(
        "check",
        bundle_check,
        "Check a bundle here, with the server's own parser.",
        "Reads a bundle (a folder or a zip) with the very parser the server imports bundles "
        "with, and lists every problem with its place in competition.yaml. Needs no server "
        "and no account; files named by key (reused from the server) are not looked up.",
    )
    found.add_argument("path", metavar="PATH", help="the bundle: a folder or a zip")
    found.add_argument(
        "--max-bytes",
        type=_positive,
        default=BUNDLE_MAX_BYTES,
        help="the most bytes it may unpack to (the server's PODIUM_BUNDLE_MAX_BYTES)",
    )
    found.add_argument(
        "--max-entries",
        type=_positive,
        default=BUNDLE_MAX_ENTRIES,
        help="the most files and folders (the server's PODIUM_BUNDLE_MAX_ENTRIES)",
    )
    return main_parser


def run(
    argv: list[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    stdin: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Runs one command and answers its exit code (`main` exits with it)."""
    parser = build_parser()
    try:
        # argparse writes its help and usage errors to sys.stdout and sys.stderr itself.
        with (
            contextlib.redirect_stdout(stdout or sys.stdout),
            contextlib.redirect_stderr(stderr or sys.stderr),
        ):
            args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    out = Output(as_json=getattr(args, "json", False), stdout=stdout, stderr=stderr)
    ctx = Context(args, out, os.environ if environ is None else environ, stdin or sys.stdin)
    try:
        handler: Handler = args.handler
        return int(handler(ctx))
    except (UsageError, NotConfigured) as exc:
        out.error(str(exc))
        return Code.USAGE
    except NotSignedIn as exc:
        out.error(str(exc))
        return Code.AUTH
    except AuthenticationFailed as exc:
        out.error(f"{exc} (sign in again with `podium login`)")
        return Code.AUTH
    except (ServerError, EndpointMissing) as exc:
        _api_error(out, exc)
        return Code.UNAVAILABLE
    except ApiError as exc:
        _api_error(out, exc)
        return Code.REFUSED
    except (ConnectionFailed, UnexpectedResponse) as exc:
        out.error(str(exc))
        return Code.UNAVAILABLE
    except StillRunning as exc:
        out.error(str(exc))
        return Code.FAILED
    except (PodiumError, OSError) as exc:
        out.error(str(exc))
        return Code.FAILED
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
    finally:
        ctx.close()


def _api_error(out: Output, error: ApiError) -> None:
    if len(error.errors) == 1:
        out.error(error.errors[0])
        return
    out.error(f"{error.method} {error.path} was refused ({error.status}):")
    for line in error.errors:
        out.say(f"  {line}")


def main() -> None:
    sys.exit(run())
