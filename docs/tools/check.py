#!/usr/bin/env python3
"""Checks the user guide against itself and against the code; run by `.ci/steps/docs.sh`.

    check.py links  BOOK_DIR SRC_DIR REPO_DIR
        Every internal link and anchor of the built book (mdBook's HTML) resolves; every page
        in SRC_DIR is listed in SUMMARY.md; no link leaves the book for a file of the
        repository (it would break on the published site: link to GitHub instead, which is
        checked against the working tree). External links are listed, never fetched.

    check.py config SRC_DIR CONFIG_RS
        The configuration reference has a `### `key`` heading for every key the config
        accepts (the `*_KEYS` lists of ristretto-core's config.rs), and none for a key it
        does not accept.

    check.py commands SRC_DIR BINARY
        Every command of `BINARY --help` has a page, commands/<name>.md, that names each of
        its flags; the global flags page names every global flag and environment variable.

Exit 0 when everything holds, 1 with one line per problem otherwise. Python 3.9+, standard
library only.
"""

from __future__ import annotations

import html.parser
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The repository's address on GitHub: links to its files are checked against the working tree.
REPO_URL = re.compile(r"^https://github\.com/ristretto-deploy/ristretto/(?:blob|tree)/[^/]+/(.*)$")

# Files mdBook writes that are not chapters.
NOT_CHAPTERS = {"print.html", "404.html", "toc.html"}


class Page(html.parser.HTMLParser):
    """The ids a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key] or "")
        if tag == "a" and values.get("href") is not None:
            self.links.append(values["href"] or "")


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def check_links(book: Path, src: Path, repo: Path) -> list[str]:
    problems: list[str] = []
    external: set[str] = set()
    pages = {
        p.resolve(): parse(p)
        for p in sorted(book.rglob("*.html"))
        if p.name not in NOT_CHAPTERS and "theme" not in p.relative_to(book).parts
    }
    if not pages:
        return [f"{book}: no HTML pages: was the book built?"]
    for path, page in pages.items():
        where = path.relative_to(book.resolve())
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                external.add(href)
                own = REPO_URL.match(href.split("#")[0])
                if own and not (repo / unquote(own.group(1))).exists():
                    problems.append(f"{where}: {href}: no such file in the repository")
                continue
            if parts.scheme:
                problems.append(f"{where}: {href}: unexpected link scheme")
                continue
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if not target.is_relative_to(book.resolve()):
                problems.append(
                    f"{where}: {href}: leaves the book (broken on the published site); "
                    "link to https://github.com/ristretto-deploy/ristretto/blob/main/<path>"
                )
                continue
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{where}: {href}: no such page")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if fragment not in ids:
                    problems.append(f"{where}: {href}: no anchor `{fragment}` in {target.name}")
    summary = (src / "SUMMARY.md").read_text(encoding="utf-8")
    listed = {
        (src / m).resolve() for m in re.findall(r"\]\(([^)#]+\.md)\)", summary)
    }
    for md in sorted(src.rglob("*.md")):
        if md.name != "SUMMARY.md" and md.resolve() not in listed:
            problems.append(f"{md.relative_to(src)}: not listed in SUMMARY.md (unreachable)")
    print(f"links: {len(pages)} pages checked; external links (listed, not fetched):")
    for href in sorted(external):
        print(f"  {href}")
    return problems


# Where each list of keys in config.rs lives in the config file.
KEY_BLOCKS = {
    "ROOT_KEYS": "",
    "PLUGIN_KEYS": "plugins[].",
    "CODEDEPLOY_KEYS": "codedeploy.",
    "IGNORE_KEYS": "ignore.",
    "APPSPEC_KEYS": "appspec.",
}


def config_keys(config_rs: Path) -> tuple[set[str], list[str]]:
    text = config_rs.read_text(encoding="utf-8")
    keys: set[str] = set()
    problems: list[str] = []
    found = re.findall(r"const (\w+_KEYS): &\[&str\] = &\[(.*?)\];", text, re.S)
    if not found:
        problems.append(f"{config_rs}: no `const *_KEYS: &[&str]` lists found; update check.py")
    for name, body in found:
        if name not in KEY_BLOCKS:
            problems.append(
                f"{config_rs}: `{name}` is a new block of keys: add it to KEY_BLOCKS in "
                "docs/tools/check.py and document its keys in configuration.md"
            )
            continue
        keys.update(KEY_BLOCKS[name] + k for k in re.findall(r'"([^"]+)"', body))
    return keys, problems


def check_config(src: Path, config_rs: Path) -> list[str]:
    keys, problems = config_keys(config_rs)
    page = src / "configuration.md"
    documented = set(re.findall(r"^### `([^`]+)`\s*$", page.read_text(encoding="utf-8"), re.M))
    for key in sorted(keys - documented):
        problems.append(f"configuration.md: the config accepts `{key}`: add a `### `{key}`` section")
    for key in sorted(documented - keys):
        problems.append(f"configuration.md: documents `{key}`, which the config does not accept")
    print(f"config: {len(keys)} keys, {len(documented & keys)} documented")
    return problems


def help_text(binary: str, *args: str) -> str:
    out = subprocess.run(
        [binary, *args, "--help"], capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    return out.stdout


def section(text: str, title: str) -> list[str]:
    """The lines of a `--help` section (`Commands:`, `Options:`, …)."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            inside = line == title
            continue
        if inside:
            lines.append(line)
    return lines


def subcommands(text: str) -> list[str]:
    return [
        m.group(1)
        for line in section(text, "Commands:")
        if (m := re.match(r"^  ([a-z][a-z0-9-]*)\b", line))
    ]


def flags(lines: list[str]) -> list[str]:
    return [
        m.group(1)
        for line in lines
        if (m := re.match(r"^\s+(?:-\w, )?(--[a-z0-9][a-z0-9-]*)", line))
    ]


def check_commands(src: Path, binary: str) -> list[str]:
    problems: list[str] = []
    top = help_text(binary)
    index = (src / "commands" / "index.md").read_text(encoding="utf-8")
    global_flags = flags(section(top, "Global options:"))
    for flag in global_flags:
        if f"`{flag}" not in index:
            problems.append(f"commands/index.md: global flag `{flag}` is not described")
    for var in set(re.findall(r"\b((?:RISTRETTO|ECSPRESSO)_[A-Z_]+|NO_COLOR|BROWSER)\b", top)):
        if var.startswith("ECSPRESSO_"):
            continue
        if var not in index:
            problems.append(f"commands/index.md: environment variable `{var}` is not described")
    commands = [c for c in subcommands(top) if c != "help"]
    checked = 0
    for command in commands:
        page_path = src / "commands" / f"{command}.md"
        if not page_path.exists():
            problems.append(f"command `{command}` has no page commands/{command}.md")
            continue
        page = page_path.read_text(encoding="utf-8")
        paths = [[command]]
        nested = [c for c in subcommands(help_text(binary, command)) if c != "help"]
        if nested:
            paths = [[command, n] for n in nested]
        accepted: set[str] = set(global_flags)
        for path in paths:
            text = help_text(binary, *path)
            if len(path) > 1 and f"{' '.join(path)}" not in page:
                problems.append(f"commands/{command}.md: `{' '.join(path)}` is not described")
            accepted.update(flags(section(text, "Options:")))
            for flag in flags(section(text, "Options:")):
                if flag in ("--help", "--version"):
                    continue
                if not re.search(re.escape(flag) + r"(?![a-z0-9-])", page):
                    problems.append(
                        f"commands/{command}.md: `{' '.join(path)} {flag}` is not described"
                    )
            checked += 1
        # The other way round: every flag the page's `## Flags` table lists exists.
        table = re.search(r"^## Flags\n(.*?)(?=^## |\Z)", page, re.S | re.M)
        for row in table.group(1).splitlines() if table else []:
            first_cell = row.split("|")[1] if row.startswith("|") else ""
            for flag in re.findall(r"(--[a-z0-9][a-z0-9-]*)", first_cell):
                if flag not in accepted:
                    problems.append(
                        f"commands/{command}.md: lists `{flag}`, which `{command}` does not accept"
                    )
    summary = (src / "SUMMARY.md").read_text(encoding="utf-8")
    for command in commands:
        if f"(commands/{command}.md)" not in summary:
            problems.append(f"SUMMARY.md: commands/{command}.md is not listed")
    print(f"commands: {checked} commands checked against `{binary} --help`")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    what, args = argv[1], argv[2:]
    if what == "links" and len(args) == 3:
        problems = check_links(Path(args[0]), Path(args[1]), Path(args[2]))
    elif what == "config" and len(args) == 2:
        problems = check_config(Path(args[0]), Path(args[1]))
    elif what == "commands" and len(args) == 2:
        problems = check_commands(Path(args[0]), args[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
