"""The subset of GitHub Actions expressions (${{ }}) the harness evaluates.

Semantics follow docs.github.com "Evaluate expressions in workflows and actions": `||` and
`&&` return an operand (not a boolean), falsy values are false, 0, '', null; `==` compares
strings case-insensitively and otherwise coerces both sides to numbers. Anything outside
the subset (an unknown context, property or function) raises ExprError: a harness that
quietly turned it into '' would let a broken action pass.
"""
import json
import math
import re

__all__ = ["ExprError", "Strict", "evaluate", "substitute", "to_string", "truthy", "evaluate_if"]


class ExprError(Exception):
    pass


class Strict(dict):
    """A context whose every key is known up front: reading any other key is an error
    (an undeclared input or a misspelt step id), not null."""

    def __init__(self, name, items):
        super().__init__(items)
        self.name = name


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<num>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
    | (?P<op>==|!=|<=|>=|&&|\|\||[()\[\].,!<>*])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
    )""", re.X)


def _tokenize(text):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot parse expression at {text[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


def truthy(v):
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return not (v == 0 or math.isnan(v))
    if isinstance(v, str):
        return v != ""
    return True


def _to_number(v):
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return 0
        try:
            return int(s, 0) if re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", s) else float(s)
        except ValueError:
            return math.nan
    return math.nan


def _equal(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) and isinstance(a, (dict, list)):
        return a is b
    if a is None and b is None:
        return True
    return _to_number(a) == _to_number(b)


def to_string(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, indent=2)
    return str(v)


def _lookup(obj, key, path):
    if isinstance(obj, Strict):
        for k in obj:
            if k.lower() == key.lower():
                return obj[k]
        raise ExprError(f"{path}.{key}: not supported by the harness ({obj.name} has "
                        f"{', '.join(sorted(obj)) or 'nothing'})")
    if isinstance(obj, dict):
        for k in obj:
            if k.lower() == key.lower():
                return obj[k]
        return None
    return None


class _Parser:
    def __init__(self, text, contexts, functions):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.contexts = contexts
        self.functions = functions

    def peek(self, value=None):
        if self.i >= len(self.toks):
            return None
        t = self.toks[self.i]
        if value is not None and not (t[0] == "op" and t[1] == value):
            return None
        return t

    def take(self, value):
        if not self.peek(value):
            raise ExprError(f"expected {value!r} in {self.text!r}")
        self.i += 1

    def parse(self):
        v = self.or_()
        if self.i != len(self.toks):
            raise ExprError(f"unexpected {self.toks[self.i][1]!r} in {self.text!r}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek("||"):
            self.i += 1
            rhs = self.and_()
            v = v if truthy(v) else rhs
        return v

    def and_(self):
        v = self.cmp()
        while self.peek("&&"):
            self.i += 1
            rhs = self.cmp()
            v = rhs if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        for op in ("==", "!=", "<=", ">=", "<", ">"):
            if self.peek(op):
                self.i += 1
                rhs = self.unary()
                if op == "==":
                    return _equal(v, rhs)
                if op == "!=":
                    return not _equal(v, rhs)
                a, b = ((v.lower(), rhs.lower()) if isinstance(v, str) and isinstance(rhs, str)
                        else (_to_number(v), _to_number(rhs)))
                return {"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]
        return v

    def unary(self):
        if self.peek("!"):
            self.i += 1
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        if self.i >= len(self.toks):
            raise ExprError(f"unexpected end of {self.text!r}")
        kind, val = self.toks[self.i]
        self.i += 1
        if kind == "str":
            return val[1:-1].replace("''", "'")
        if kind == "num":
            n = _to_number(val)
            return n
        if kind == "op" and val == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind != "ident":
            raise ExprError(f"unexpected {val!r} in {self.text!r}")
        if val in ("true", "false"):
            return val == "true"
        if val == "null":
            return None
        if self.peek("("):
            return self.call(val)
        if val not in self.contexts:
            raise ExprError(f"context {val!r} is not supported by the harness (in {self.text!r})")
        obj, path = self.contexts[val], val
        while True:
            if self.peek("."):
                self.i += 1
                if self.i >= len(self.toks) or self.toks[self.i][0] != "ident":
                    raise ExprError(f"expected a property name after {path}. in {self.text!r}")
                key = self.toks[self.i][1]
                self.i += 1
            elif self.peek("["):
                self.i += 1
                key = to_string(self.or_())
                self.take("]")
            else:
                return obj
            obj = _lookup(obj, key, path)
            path = f"{path}.{key}"

    def call(self, name):
        self.take("(")
        args = []
        if not self.peek(")"):
            args.append(self.or_())
            while self.peek(","):
                self.i += 1
                args.append(self.or_())
        self.take(")")
        fn = self.functions.get(name.lower())
        if fn is None:
            raise ExprError(f"function {name}() is not supported by the harness (in {self.text!r})")
        return fn(*args)


def _format(fmt, *args):
    def repl(m):
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        n = int(m.group(1))
        if n >= len(args):
            raise ExprError(f"format(): no argument {n}")
        return to_string(args[n])
    return re.sub(r"\{\{|\}\}|\{(\d+)\}", repl, fmt)


def _contains(hay, needle):
    if isinstance(hay, list):
        return any(_equal(x, needle) for x in hay)
    return to_string(needle).lower() in to_string(hay).lower()


BASE_FUNCTIONS = {
    "contains": _contains,
    "startswith": lambda a, b: to_string(a).lower().startswith(to_string(b).lower()),
    "endswith": lambda a, b: to_string(a).lower().endswith(to_string(b).lower()),
    "format": lambda f, *a: _format(to_string(f), *a),
    "join": lambda a, sep=",": to_string(sep).join(to_string(x) for x in a) if isinstance(a, list) else to_string(a),
    "tojson": lambda v: json.dumps(v, indent=2),
    "fromjson": lambda s: json.loads(to_string(s)),
}


def evaluate(text, contexts, functions=None):
    fns = dict(BASE_FUNCTIONS)
    fns.update(functions or {})
    return _Parser(text, contexts, fns).parse()


def _find_close(s, start):
    """Index of the `}}` closing the expression that starts at `start`, skipping '...'."""
    i, quoted = start, False
    while i < len(s):
        c = s[i]
        if c == "'":
            quoted = not quoted
        elif not quoted and s.startswith("}}", i):
            return i
        i += 1
    raise ExprError(f"unterminated ${{{{ in {s!r}")


def substitute(text, contexts, functions=None):
    """Replace every ${{ expr }} in a string with the value's string form."""
    if not isinstance(text, str):
        return to_string(text)
    out, pos = [], 0
    while True:
        j = text.find("${{", pos)
        if j < 0:
            out.append(text[pos:])
            return "".join(out)
        k = _find_close(text, j + 3)
        out.append(text[pos:j])
        out.append(to_string(evaluate(text[j + 3:k], contexts, functions)))
        pos = k + 2


_STATUS = re.compile(r"\b(success|failure|always|cancelled)\s*\(", re.I)


def evaluate_if(cond, contexts, functions):
    """A step's `if:`: without a status function it means success() && (cond)."""
    if cond is None or cond == "":
        cond = "success()"
    if isinstance(cond, bool):
        cond = "true" if cond else "false"
    cond = str(cond).strip()
    if cond.startswith("${{") and cond.endswith("}}") and cond.count("${{") == 1:
        cond = cond[3:-2]
    elif "${{" in cond:
        raise ExprError(f"if: {cond!r}: mixes ${{{{ }}}} with text")
    if not _STATUS.search(cond):
        cond = f"success() && ({cond})"
    return truthy(evaluate(cond, contexts, functions))
