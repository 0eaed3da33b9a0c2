"""Every status write of an order or a vendor order goes through `allies.orders.states`.

The source of the whole project is read (ast): outside `states.py`, nothing may assign
`.status` on an order or vendor order, set it with `setattr`, or `.update(status=…)` their
querysets — the writes that skipped `updated_at`, the timestamps and the timeline.
"""

import ast
from pathlib import Path

import allies
from tests.source_trees import project_trees

ROOT = Path(allies.__file__).parent
OWNER = ROOT / "orders" / "states.py"
# Names that designate an order or a vendor order, as the code base spells them.
ORDER_NAMES = {"order", "vendor_order", "vo"}
ORDER_ENUMS = ("OrderStatus", "VendorOrderStatus", "Order.Status", "VendorOrder.Status")


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


def _is_order_status_value(node: ast.AST) -> bool:
    return any(enum in _source(node) for enum in ORDER_ENUMS)


def _is_order_name(node: ast.AST) -> bool:
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    return any(name in ORDER_NAMES or name.endswith("_order") for name in names)


def status_writes(tree: ast.AST, *, in_orders_app: bool = False) -> list[tuple[int, str]]:
    """`in_orders_app`: in the orders app every status write but an order line's is suspect
    (its variables are called `locked`, `found`…)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = []
            for target in targets:
                flat.extend(target.elts if isinstance(target, ast.Tuple) else [target])
            for target in flat:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and (
                        _is_order_name(target.value)
                        or _is_order_status_value(node.value)
                        or (in_orders_app and "line" not in _source(target.value).lower())
                    )
                ):
                    found.append((node.lineno, _source(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {kw.arg: kw.value for kw in node.keywords}
            if node.func.attr == "update" and "status" in keywords:
                chain = _source(node.func.value)
                if "Order" in chain or _is_order_status_value(keywords["status"]):
                    found.append((node.lineno, _source(node)))
        elif isinstance(node, ast.Call) and _source(node.func) == "setattr" and len(node.args) > 1:
            name = node.args[1]
            if isinstance(name, ast.Constant) and name.value == "status":
                if _is_order_name(node.args[0]):
                    found.append((node.lineno, _source(node)))
    return found


def test_no_module_but_states_writes_an_order_status():
    # covers: issue 8 §1 (one function performs every transition)
    offenders = []
    for path, tree in project_trees(skip=OWNER):
        in_orders_app = path.is_relative_to(ROOT / "orders")
        for line, text in status_writes(tree, in_orders_app=in_orders_app):
            offenders.append(f"{path.relative_to(ROOT.parent)}:{line}: {text.splitlines()[0]}")
    assert offenders == []


def test_the_scan_catches_each_way_of_writing_a_status():
    # The scan itself: each historical way of writing a status is seen, other entities' are not.
    code = """
locked.status = VendorOrder.Status.SHIPPED
order.status = Order.Status.PAYMENT_FAILED
VendorOrder.objects.filter(order=order).update(status=VendorOrder.Status.CANCELLED)
setattr(vendor_order, "status", "shipped")
line.status, line.decided_at = OrderLine.Status.ACCEPTED, now
payment.status = Payment.Status.SUCCEEDED
Refund.objects.filter(pk=1).update(status="failed")
"""
    assert [line for line, _text in status_writes(ast.parse(code))] == [2, 3, 4, 5]
    in_orders = "found.status = status\nline.status = status\n"
    assert [line for line, _text in status_writes(ast.parse(in_orders), in_orders_app=True)] == [1]
