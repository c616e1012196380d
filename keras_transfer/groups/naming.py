"""Derive ordered layer groups from variable names.

A backbone's variables are grouped from input to output by the first
"numbered block" in their path (`block3/…`, `block3a_expand_conv/…`,
`transformer_layer_3/…`, `encoder/layer_3/…`, `_blocks.3.…`, `stage2/…`).
Variables outside any numbered block go to `stem` (input side) or `top`
(output side). Users override the rule with an ordered list of regexes.
"""

import re
import warnings

# A numbered block: a block-like word, an optional separator, a number.
BLOCK_PATTERN = re.compile(
    r"(?i)(?:^|[/._])((?:[a-z0-9]+_)*?(?:block|blocks|layer|layers|stage|stack|cell|"
    r"res|resblock|conv_block|encoder_layer|transformer_layer|transformer|mixed)"
    r"[_.\-]?)(\d+)"
)
_STEM_WORDS = re.compile(r"(?i)(embed|stem|input|patch|token|position|segment|conv0|_bn0|bn_conv1|conv1)")
_TOP_WORDS = re.compile(r"(?i)(pool|head|top|classif|logit|predict|final|output|_fc|^fc)")


def clean_name(name):
    """Strips the `:0` suffix and a leading `/`."""
    return re.sub(r":\d+$", "", name).strip("/")


def block_key(name):
    """Returns `(prefix, number, text)` of the first numbered block in `name`, or None."""
    match = BLOCK_PATTERN.search(clean_name(name))
    if not match:
        return None
    prefix = match.group(1).rstrip("_.-")
    return prefix, int(match.group(2)), match.group(1) + match.group(2)


def group_names(names, patterns=None):
    """Groups variable names, ordered from input to output.

    Args:
        names: list of str. Variable names or paths, in creation order.
        patterns: list. Overrides the derivation: an ordered list (input to
            output) of regexes, or of `(group_name, regex)` pairs. Each
            variable goes to the first pattern that `re.search`es its name.
            Defaults to `None` (derive from the names).

    Returns:
        list of `(group_name, [indices into names])`, input side first. Empty
        groups are dropped.

    Raises:
        ValueError: if `patterns` leave a variable without a group (the
            message lists them) or a pattern is not a valid regex.
    """
    if patterns is not None:
        return _group_by_patterns(names, patterns)
    keys = [block_key(n) for n in names]
    numbered = [i for i, k in enumerate(keys) if k is not None]
    if not numbered:
        return [("all", list(range(len(names))))] if names else []
    first, last = numbered[0], numbered[-1]
    prefixes = []
    for k in keys:
        if k is not None and k[0] not in prefixes:
            prefixes.append(k[0])
    blocks = {}
    display = {}
    stem, top = [], []
    previous = None
    for i, (name, key) in enumerate(zip(names, keys)):
        if key is not None:
            display.setdefault(key[:2], key[2])
            key = key[:2]
            blocks.setdefault(key, []).append(i)
            previous = key
        elif _TOP_WORDS.search(clean_name(name)) and not _STEM_WORDS.search(clean_name(name)):
            top.append(i)
        elif _STEM_WORDS.search(clean_name(name)) or i < first:
            stem.append(i)
        elif i > last:
            top.append(i)
        else:
            # Between blocks (a transition layer): it belongs to the block before.
            blocks[previous].append(i)
    ordered = sorted(blocks, key=lambda k: (prefixes.index(k[0]), k[1]))
    groups = [("stem", stem)] if stem else []
    groups += [(display[key], sorted(blocks[key])) for key in ordered]
    if top:
        groups.append(("top", top))
    return groups


def compile_group_patterns(patterns, argument="groups"):
    """Validates and compiles ordered group patterns.

    Args:
        patterns: list of regexes, or of `(group_name, regex)` pairs.
        argument: str. The argument name used in error messages.

    Returns:
        list of `(group_name, compiled regex)`, in the given order.

    Raises:
        ValueError: on an item that is neither form or an invalid regex.
    """
    if isinstance(patterns, (str, bytes)) or not isinstance(patterns, (list, tuple)):
        raise ValueError(f"`{argument}` must be a list of regexes or of (name, regex) pairs. "
                         f"Received: {argument}={patterns!r}")
    named = []
    for i, item in enumerate(patterns):
        if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], str):
            group_name, regex = item
        elif isinstance(item, str):
            group_name, regex = f"group_{i}", item
        else:
            raise ValueError(
                f"`{argument}` must be a list of regexes or of (name, regex) pairs. "
                f"Received an item: {item!r}"
            )
        try:
            named.append((str(group_name), re.compile(regex)))
        except re.error as error:
            raise ValueError(f"Invalid regex in `{argument}`: {regex!r} ({error})") from error
    return named


def match_group(path, compiled):
    """The one rule for matching a variable path against ordered group patterns.

    A pattern matches when it `re.search`es the path (its `:0` suffix and
    leading `/` stripped), so `"d0/"` or `"d0/.*"` selects every variable of
    layer `d0` whatever scopes come before it; anchor with `^`/`$` for an
    exact path. The first pattern that matches wins (patterns are ordered
    from the input side to the output side). `DiscriminativeOptimizer`,
    `ProgressiveUnfreezing`, `DiscriminativeLR`, `get_layer_groups` and
    `HubBackbone(groups=...)` all use this function.

    Args:
        path: str. A `variable.path` (or SavedModel variable name).
        compiled: list of `(group_name, compiled regex)` from
            `compile_group_patterns`.

    Returns:
        The index of the first matching pattern, or `None`.
    """
    path = clean_name(path)
    for index, (_, regex) in enumerate(compiled):
        if regex.search(path):
            return index
    return None


def warn_empty_groups(compiled, counts, where):
    """Warns once per call about patterns that matched no variable."""
    empty = [(name, regex.pattern) for (name, regex), count in zip(compiled, counts) if not count]
    if empty:
        warnings.warn(
            f"{where}: {len(empty)} group pattern(s) matched no variable: "
            + ", ".join(f"{name!r} ({pattern!r})" for name, pattern in empty)
            + ". Patterns are `re.search`ed against `variable.path`; check the "
            "paths with `[v.path for v in model.weights]`.",
            stacklevel=3,
        )


def _group_by_patterns(names, patterns):
    named = compile_group_patterns(patterns)
    members = {group_name: [] for group_name, _ in named}
    unmatched = []
    for i, name in enumerate(names):
        index = match_group(name, named)
        if index is None:
            unmatched.append(clean_name(name))
        else:
            members[named[index][0]].append(i)
    if unmatched:
        raise ValueError(
            f"`groups` left {len(unmatched)} variable(s) without a group, e.g. "
            f"{unmatched[:5]}. Add a pattern that matches them (a final "
            "('top', '.*') catches the rest)."
        )
    warn_empty_groups(named, [len(members[g]) for g, _ in named], "Layer groups")
    return [(g, members[g]) for g, _ in named if members[g]]
