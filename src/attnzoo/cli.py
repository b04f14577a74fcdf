"""``attnzoo`` command line: thin; it parses, then calls a recipe or a tool.

attnzoo list                                  mechanisms and recipes
attnzoo run RECIPE [--budget smoke|full] [--out DIR] [--seed N] [--resume | --force] [key=value ...]
attnzoo tour [--out DIR] [--force]             every recipe at its smoke budget, one index page
attnzoo data list | fetch NAME | path NAME     the dataset cache
attnzoo translate "a sentence" [--checkpoint PATH] [--plot out.png]
attnzoo explain "a review" [--checkpoint PATH] [--html out.html]
attnzoo read IMAGE --checkpoint DIR [--plot strip.png]
attnzoo caption IMAGE --checkpoint DIR [--plot out.png]

Exit status: 0 done; 1 the tour ran but a recipe failed; 2 a user error (a bad argument, file or
override: one line on stderr naming it; ``--debug`` adds the traceback); 130 stopped by SIGINT (Ctrl-C)
or a training stopped by a signal (resume it with ``--resume``); 143 stopped by SIGTERM outside training.
Any other exception is a bug in attnzoo and keeps its traceback (exit 1).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

log = logging.getLogger("attnzoo")

# What a user can get wrong (a bad value, a missing or unwritable file): one line, exit 2. Everything else
# (TypeError, AttributeError, ...) is a bug and keeps its traceback.
_USER_ERRORS = (ValueError, OSError, RuntimeError)


class _Terminated(BaseException):  # a stop, like KeyboardInterrupt: `except Exception` lets it by
    """SIGTERM outside training (the trainer handles it during a fit)."""


def _overrides(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override {item!r} is not of the form key=value")
        out[key] = value
    return out


def _cmd_list(_: argparse.Namespace) -> int:
    from attnzoo import functional
    from attnzoo.nn import vision
    from attnzoo.recipes import list_recipes

    print("scores:       " + ", ".join(sorted(functional.SCORES)))
    print("normalisers:  " + ", ".join(sorted(functional.NORMALIZERS)))
    print("kernels:      " + ", ".join(sorted(functional.KERNELS)))
    print("vision:       " + ", ".join(vision.list_attention()))
    print("\nrecipes (attnzoo run NAME):")
    recipes = list_recipes()
    width = max(len(r.name) for r in recipes)
    for r in recipes:
        print(f"  {r.name.ljust(width)}  {r.summary}\n  {' ' * width}  data: {r.data}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from attnzoo.recipes import get_recipe

    if args.resume and args.force:
        raise ValueError("--resume and --force contradict each other: continue the run or replace it")
    recipe = get_recipe(args.recipe)
    out = Path(args.out or f"runs/{recipe.name}")
    # only a set --force is passed on, so a recipe written before the flag still runs without it
    flags = {"resume": args.resume, **({"force": True} if args.force else {})}
    summary = recipe.run(out, budget=args.budget, seed=args.seed, **flags, **_overrides(args.overrides))
    print(f"report: {out / 'index.html'}")
    for key, value in summary.items():
        if key not in ("config", "recipe"):
            print(f"  {key}: {value}")
    return 0


def _cmd_tour(args: argparse.Namespace) -> int:
    from attnzoo.recipes.tour import run_tour

    ok = run_tour(Path(args.out), only=args.only, force=args.force)
    return 0 if ok else 1


def _cmd_data(args: argparse.Namespace) -> int:
    from attnzoo.data.cli import run_data_command

    return run_data_command(args)


def _cmd_translate(args: argparse.Namespace) -> int:
    from attnzoo.recipes._common import check_output_file
    from attnzoo.recipes.translate import translate_sentence

    if args.plot is not None:
        check_output_file(args.plot, "--plot")
    result = translate_sentence(args.text, checkpoint=args.checkpoint, plot=args.plot)
    print(result.format() if hasattr(result, "format") else result)
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from attnzoo.recipes._common import check_output_file
    from attnzoo.recipes.sentiment import explain

    if args.html is not None:
        check_output_file(args.html, "--html")
    result = explain(args.text, checkpoint=args.checkpoint, html=args.html)
    print(result.format() if hasattr(result, "format") else result)
    return 0


def _cmd_read(args: argparse.Namespace) -> int:
    from attnzoo.recipes._common import check_output_file
    from attnzoo.recipes.ocr import read_image

    if args.plot is not None:
        check_output_file(args.plot, "--plot")

    print(read_image(args.image, args.checkpoint, plot=args.plot))
    return 0


def _cmd_caption(args: argparse.Namespace) -> int:
    from attnzoo.recipes._common import check_output_file
    from attnzoo.recipes.caption import caption_image

    if args.plot is not None:
        check_output_file(args.plot, "--plot")

    print(caption_image(args.image, args.checkpoint, plot=args.plot))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="attnzoo", description="Attention mechanisms: train, evaluate and draw them."
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("--debug", action="store_true", help="print the traceback of an error, too")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="list mechanisms and recipes")
    s.set_defaults(func=_cmd_list)

    s = sub.add_parser("run", help="run a recipe (train, evaluate, report)")
    s.add_argument("recipe")
    s.add_argument("--budget", default="smoke", choices=["smoke", "full"], help="smoke: about a minute")
    s.add_argument("--out", default=None, help="run directory (default runs/RECIPE)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    s.add_argument("--force", action="store_true", help="replace an earlier run in --out (deletes it)")
    s.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    s.set_defaults(func=_cmd_run)

    s = sub.add_parser("tour", help="every recipe at its smoke budget; writes DIR/index.html")
    s.add_argument("--out", default="runs/tour")
    s.add_argument("--only", nargs="*", default=None, metavar="RECIPE", help="run only these recipes")
    s.add_argument(
        "--force", action="store_true", help="replace runs in an --out the tour did not write itself"
    )
    s.set_defaults(func=_cmd_tour)

    from attnzoo.data.cli import add_data_arguments

    s = add_data_arguments(sub.add_parser("data", help="dataset cache: list, fetch, path"))
    s.set_defaults(func=_cmd_data)

    s = sub.add_parser("translate", help="translate English to French and show the attention")
    s.add_argument("text")
    s.add_argument("--checkpoint", default=None)
    s.add_argument("--plot", default=None, help="save the alignment heatmap here (PNG)")
    s.set_defaults(func=_cmd_translate)

    s = sub.add_parser("explain", help="classify a review and highlight the words the model attended to")
    s.add_argument("text")
    s.add_argument("--checkpoint", default=None)
    s.add_argument("--html", default=None, help="also write the highlighted review as HTML here")
    s.set_defaults(func=_cmd_explain)

    s = sub.add_parser("read", help="read the word in an image with a trained `ocr` reader")
    s.add_argument("image")
    s.add_argument("--checkpoint", required=True, help="an `attnzoo run ocr` folder or one reader's folder")
    s.add_argument("--plot", default=None, help="save the attention strip here (PNG)")
    s.set_defaults(func=_cmd_read)

    s = sub.add_parser("caption", help="caption an image with a trained `caption` run; show the attention")
    s.add_argument("image")
    s.add_argument(
        "--checkpoint", required=True, help="a variant folder of a caption run, e.g. runs/caption/soft"
    )
    s.add_argument("--plot", default=None, help="save the per-word attention figure here (PNG)")
    s.set_defaults(func=_cmd_caption)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # key=value overrides may come before or after options: argparse leaves the late ones unparsed.
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "overrides", None) is not None and not any(e.startswith("-") for e in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    from attnzoo.train.interrupted import TrainingInterrupted

    def _on_sigterm(signum, frame):
        raise _Terminated

    # the trainer installs its own handlers during a fit (save, then TrainingInterrupted) and restores ours
    old = _install(signal.SIGTERM, _on_sigterm)
    try:
        return args.func(args)
    except TrainingInterrupted as err:  # every recipe ends an interrupted training this way
        print(f"attnzoo: interrupted: {err}", file=sys.stderr)
        return 130
    except _USER_ERRORS as err:
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        print(f"attnzoo: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"attnzoo: interrupted by SIGINT during `attnzoo {args.command}`{_partial(args)}", file=sys.stderr
        )
        return 130
    except _Terminated:
        print(
            f"attnzoo: terminated by SIGTERM during `attnzoo {args.command}`{_partial(args)}", file=sys.stderr
        )
        return 143
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _install(sig: int, handler):
    """``signal.signal`` where it works (the main thread); the previous handler, or None."""
    try:
        return signal.signal(sig, handler)
    except ValueError:  # not the main thread (main() called from a worker thread): leave signals alone
        return None


def _partial(args: argparse.Namespace) -> str:
    out = getattr(args, "out", None)
    return f"; files in {out} may be incomplete" if out else ""


def _one_line(err: BaseException) -> str:
    """The error's message on one line (an OSError without a message gets its type and file)."""
    text = str(err) or type(err).__name__
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
