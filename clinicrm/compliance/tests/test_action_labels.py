"""Every audit action the code writes has a pt-BR label and can be picked in the audit
page's filter (clinic and staff pages).

The actions are found by reading the source (AST), not from a list kept by hand: a call to
`audit_log_record`, or to a helper that passes one of its own parameters on as the action
(`_audit(action, ...)`, `_set_status(..., action=...)`, followed through any depth), with a
string literal as the action, a choice between literals, or a lookup in a module-level dict
whose values are literals (`_ARCHIVE_ACTIONS[...]`). An action the scan cannot read (an
f-string, a variable that is not a forwarded parameter) fails the test too: write the code
as a literal so it stays findable.
"""

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.test import Client

from clinicrm.compliance.actions import ACTION_LABELS
from clinicrm.core.services import audit_log_record

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[2]  # the clinicrm package
WRITER = "audit_log_record"


@dataclass(frozen=True)
class Writer:
    """A function that writes an audit row with the action given in parameter `param`."""

    param: str
    index: int  # position of `param` among the positional parameters (-1: keyword-only)


def _modules() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(), filename=str(path))
        for path in sorted(SOURCE.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    }


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _action_arg(call: ast.Call, writer: Writer) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == writer.param:
            return keyword.value
    if 0 <= writer.index < len(call.args):
        return call.args[writer.index]
    return None


def _writers(modules: dict[Path, ast.Module]) -> dict[tuple[Path | None, str], Writer]:
    """`audit_log_record` and every function that forwards a parameter to a writer as the
    action, keyed by (module, name); `None` = visible from every module."""
    writers: dict[tuple[Path | None, str], Writer] = {(None, WRITER): Writer("action", -1)}
    functions = [
        (path, func, [call for call in ast.walk(func) if isinstance(call, ast.Call)])
        for path, module in modules.items()
        for func in ast.walk(module)
        if isinstance(func, ast.FunctionDef) and func.name != WRITER
    ]
    grew = True
    while grew:  # until no new helper of a helper turns up
        grew = False
        for path, func, calls in functions:
            key = (path, func.name) if func.name.startswith("_") else (None, func.name)
            if key in writers:
                continue
            positional = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
            params = {*positional, *(a.arg for a in func.args.kwonlyargs)}
            for call in calls:
                writer = _writer_of(call, path, writers)
                arg = writer and _action_arg(call, writer)
                if isinstance(arg, ast.Name) and arg.id in params:
                    index = positional.index(arg.id) if arg.id in positional else -1
                    writers[key] = Writer(arg.id, index)
                    grew = True
                    break
    return writers


def _writer_of(
    call: ast.Call, path: Path, writers: dict[tuple[Path | None, str], Writer]
) -> Writer | None:
    name = _called_name(call)
    if name is None:
        return None
    return writers.get((path, name)) or writers.get((None, name))


@dataclass
class Scan:
    actions: dict[str, str]  # action -> first place written
    unreadable: list[str]


def _calls_with_their_function(
    module: ast.Module,
) -> list[tuple[ast.Call, ast.FunctionDef | None]]:
    """Every call of the module with the innermost function it is written in."""
    found: list[tuple[ast.Call, ast.FunctionDef | None]] = []

    def visit(node: ast.AST, func: ast.FunctionDef | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef) else func
            if isinstance(child, ast.Call):
                found.append((child, func))
            visit(child, inner)

    visit(module, None)
    return found


def _is_writer_param(
    name: ast.Name, func: ast.FunctionDef | None, path: Path, writers: dict
) -> bool:
    if func is None:
        return False
    writer = writers.get((path, func.name)) or writers.get((None, func.name))
    return writer is not None and writer.param == name.id


def _literal_dicts(module: ast.Module) -> dict[str, list[str]]:
    """Module-level `NAME = {...}` / `NAME: T = {...}` whose values are all string literals."""
    found: dict[str, list[str]] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not (isinstance(target, ast.Name) and isinstance(value, ast.Dict)):
            continue
        strings = [
            v.value
            for v in value.values
            if isinstance(v, ast.Constant) and isinstance(v.value, str)
        ]
        if strings and len(strings) == len(value.values):
            found[target.id] = strings
    return found


@cache  # the source does not change during a run
def scan_audit_actions() -> Scan:
    modules = _modules()
    writers = _writers(modules)
    scan = Scan(actions={}, unreadable=[])
    for path, module in modules.items():
        tables = _literal_dicts(module)
        for call, func in _calls_with_their_function(module):
            writer = _writer_of(call, path, writers)
            if writer is None or (func is not None and func.name == WRITER):
                continue
            arg = _action_arg(call, writer)
            where = f"{path.relative_to(SOURCE.parent)}:{call.lineno}"
            values = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    scan.actions.setdefault(value.value, where)
                elif (
                    isinstance(value, ast.Subscript)
                    and isinstance(value.value, ast.Name)
                    and value.value.id in tables
                ):
                    for action in tables[value.value.id]:
                        scan.actions.setdefault(action, where)
                elif isinstance(value, ast.Name) and _is_writer_param(value, func, path, writers):
                    continue  # a helper passing its parameter on: its callers are scanned
                else:
                    scan.unreadable.append(where)
    return scan


def test_the_scan_finds_the_actions_written_through_helpers():
    actions = scan_audit_actions().actions
    # straight calls, a positional helper (`_audit`), a keyword helper (`_set_status`), and
    # a helper of a helper (`_remove` -> `_audit`)
    assert {"message.send", "contact_phone.create", "credits.purchase_expired"} <= set(actions)
    assert "contact_phone.delete" in actions and "conversation_note.delete" in actions
    assert "patient.archive" in actions and "credits.topup_manual" in actions  # dict lookups


def test_every_action_the_code_writes_has_a_label():
    scan = scan_audit_actions()
    assert not scan.unreadable, f"write these audit actions as string literals: {scan.unreadable}"
    missing = {a: where for a, where in scan.actions.items() if a not in ACTION_LABELS}
    assert not missing, f"audit actions without a pt-BR label in compliance/actions.py: {missing}"


def test_every_label_belongs_to_an_action_the_code_writes():
    """A label for an action nothing writes is a typo or a leftover (it offers a filter
    option that can never match)."""
    extra = set(ACTION_LABELS) - set(scan_audit_actions().actions)
    assert not extra, f"labels for actions nothing writes: {sorted(extra)}"


def test_the_audit_pages_filter_by_every_written_action(
    tenant, owner, owner_client: Client, staff_client: Client
):
    actions = sorted(scan_audit_actions().actions)
    for action in actions:
        audit_log_record(action=action, tenant=tenant, object_type="patient", object_id="1")
    for action in actions:
        for url in ("/configuracoes/auditoria", "/saas/auditoria"):
            client = staff_client if url.startswith("/saas") else owner_client
            response = client.get(url, {"action": action})
            assert response.status_code == 200, (url, action)
            body = response.content.decode().split('id="audit-results"')[1]
            assert body.count('data-testid="audit-row"') >= 1, (url, action)
            assert ACTION_LABELS[action] in body, (url, action)
