"""Bulk reassignment from a list page, for any kind of item (target companies, projects)."""

from typing import TypeVar

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crm.core.forms import BulkAssignForm, safe_back
from crm.core.listing import record_id
from crm.core.ownership import reassign_all
from crm.core.permissions import authorize
from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import Project, TargetCompany, User

MAX_ITEMS = 500
ItemT = TypeVar("ItemT", TargetCompany, Project)
NOUNS = {"target": ("企业", "家"), "project": ("项目", "个")}


def bulk_reassign(model: type[ItemT]) -> ResponseReturnValue:
    """Handle a POST of checked ids (field "ids"), a new owner and a handover note; all or nothing."""
    kind = model.entity_type
    noun, counter = NOUNS[kind]
    back = safe_back() or url_for(f"{kind}s.index")
    form = BulkAssignForm(current_user)
    ids = request.form.getlist("ids", type=record_id)[:MAX_ITEMS]
    if not ids:
        flash(f"请先勾选要改派的{noun}。", "warning")
        return redirect(back)
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(back)
    items = db.session.scalars(
        sa.select(model).options(joinedload(model.owner)).where(model.id.in_(ids))
    ).all()
    for item in items:
        authorize(f"{kind}.assign", item)
    try:
        new_owner = reassign_all(
            items, db.session.get(User, form.owner_id.data or 0), current_user, form.note.data or ""
        )
        db.session.commit()
    except Invalid as error:
        db.session.rollback()
        flash(f"未改派任何{noun}：" + "；".join(error.problems.values()), "danger")
    else:
        flash(
            f"已将 {len(items)} {counter}{noun}改派给 {new_owner.display_name}，并已通知本人。",
            "success",
        )
    return redirect(back)
