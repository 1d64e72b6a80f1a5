"""``pycharge``: run, check and explore charging-stack configurations.

Exit codes: 0 success, 1 an internal error (a bug: please report it with the traceback),
2 a problem with the input (config file, arguments, broker), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pycharge import __version__
from pycharge.cli import check, modules, run, sim
from pycharge.cli.logs import setup_logging
from pycharge.runtime.usererror import UserError

COMMANDS = (run, check, modules, sim)
LOG_LEVELS = ["debug", "info", "warning", "error", "critical"]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default=argparse.SUPPRESS, choices=LOG_LEVELS,
                        help="least important messages to log (default: info)")
    parser = argparse.ArgumentParser(prog="pycharge", description=__doc__.splitlines()[0],
                                     parents=[common])
    parser.set_defaults(log_level="info")
    parser.add_argument("--version", action="version", version=f"pycharge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(command.NAME, help=command.HELP, description=command.__doc__,
                                  parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
        command.setup_parser(sub)
        sub.set_defaults(handler=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level)
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"pycharge: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        logging.getLogger("pycharge").exception("internal error: this is a bug in pycharge")
        return 1


if __name__ == "__main__":
    sys.exit(main())
