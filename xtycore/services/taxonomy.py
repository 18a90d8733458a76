"""Categories and brands: create, rename, move and delete them (the back office's screens call these).

Each use case runs in one transaction of its own and either does all it says
or raises :class:`TaxonomyError` and writes nothing. Its message is an English
:class:`~xtycore.domain.addresses.Message` that names what is wrong (the web
layer translates it), and ``field`` names the form input it is about.

- A category's ``path`` lists the ids from the root down (``/1/4/9/``), so
  moving a category rewrites the path of it and of every category below it,
  with one ``UPDATE``, in the transaction that changes its parent. The moved
  category and its new parent are locked first (in id order), so two staff
  moving two categories into each other at once cannot make a loop: the
  second sees the first's paths and is refused.
- A category is deleted only without subcategories, and without products
  unless a category to move them to is given; a brand only without products
  unless they are given another brand or none. The deleted row is locked, so
  nothing can be filed under it meanwhile.
- A brand's names are part of its products' search text, so renaming a brand,
  or giving its products another brand, refreshes their search columns too.

The storefront's caches learn of every change here without help: each writes
a ``Category`` or ``Brand`` through the ORM, which raises the kernel
generation (:data:`xtycore.caching.GENERATIONAL_MODELS`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import String, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from xtycore.domain.addresses import Message as _
from xtycore.domain.catalog import CatalogError
from xtycore.extensions import transaction
from xtycore.models.catalog import Brand, Category, Product
from xtycore.services.catalog import unique_slug
from xtycore.services.search import refresh_search_text

#: Longest path the column holds: a move that would make a longer one is refused.
PATH_MAX = Category.path.type.length


class TaxonomyError(CatalogError):
    """A category or brand change was refused; nothing was written.

    :param field: the form input the message is about, None for the whole form.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CategoryInput:
    name: str
    name_en: str = ""
    #: empty: made from the name (pinyin for Chinese), unique among categories
    slug: str = ""
    #: None for a top-level category
    parent_id: int | None = None
    #: smaller first among siblings
    sort: int = 0


@dataclass(frozen=True)
class BrandInput:
    name: str
    name_en: str = ""
    #: empty: made from the name (pinyin for Chinese), unique among brands
    slug: str = ""


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """A transaction in which a unique index refusing a row (another change got there first) is a refusal."""
    try:
        with transaction() as session:
            yield session
    except IntegrityError:
        raise TaxonomyError(_("Another change took this name or address at the same moment; nothing was "
                              "changed. Try again.")) from None


def _locked(session: Session, model: type, *ids: int | None) -> dict[int, object]:
    """The rows of ``model`` with ``ids`` locked for this transaction, in id order, re-read."""
    wanted = sorted({i for i in ids if i is not None})
    rows = session.execute(select(model).where(model.id.in_(wanted)).order_by(model.id).with_for_update()
                           .execution_options(populate_existing=True)).scalars() if wanted else ()
    return {row.id: row for row in rows}


def _category(found: dict, category_id: int, field: str | None = None) -> Category:
    if category_id not in found:
        raise TaxonomyError(_("There is no category with id %(id)s", id=category_id), field=field)
    return found[category_id]


def _brand(found: dict, brand_id: int, field: str | None = None) -> Brand:
    if brand_id not in found:
        raise TaxonomyError(_("There is no brand with id %(id)s", id=brand_id), field=field)
    return found[brand_id]


def _slug_for(session: Session, model: type, wanted: str, name: str, *, exclude_id: int | None) -> str:
    """The slug typed, refused when another row has it; without one, a new one made from ``name``."""
    if not wanted:
        return unique_slug(model, name, exclude_id=exclude_id, fallback=model.__name__.lower())
    query = select(model.id).where(model.slug == wanted)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if session.execute(query).first() is not None:
        raise TaxonomyError(_("The address %(slug)s is already used by another one; choose another or leave it "
                              "empty", slug=wanted), field="slug")
    return wanted


# categories ----------------------------------------------------------------------------

def _check_sibling_name(session: Session, name: str, parent: Category | None, exclude_id: int | None) -> None:
    """Two categories with one parent never share a name: an import's path ``茶叶/绿茶`` names one category."""
    query = select(Category.id).where(Category.name == name, Category.parent_id == parent.id if parent is not None
                                      else Category.parent_id.is_(None))
    if exclude_id is not None:
        query = query.where(Category.id != exclude_id)
    if session.execute(query).first() is not None:
        raise TaxonomyError(_("A category named %(name)s already exists under %(parent)s", name=name,
                              parent=parent.name) if parent is not None else
                            _("A top-level category named %(name)s already exists", name=name), field="name")


def create_category(data: CategoryInput) -> Category:
    """A new category under ``data.parent_id`` (or at the top)."""
    with _unit_of_work() as session:
        parent = _category(_locked(session, Category, data.parent_id), data.parent_id, "parent_id") \
            if data.parent_id is not None else None
        _check_sibling_name(session, data.name, parent, None)
        category = Category(name=data.name, name_en=data.name_en, sort=data.sort, parent_id=data.parent_id,
                            slug=_slug_for(session, Category, data.slug, data.name, exclude_id=None))
        session.add(category)
        session.flush()
        category.path = f"{parent.path if parent is not None else '/'}{category.id}/"
    return category


def update_category(category_id: int, data: CategoryInput) -> Category:
    """Rename the category, change its address and sort order, and move it (with everything below it) when
    ``data.parent_id`` is another parent; a category never goes under itself or a category inside it."""
    with _unit_of_work() as session:
        found = _locked(session, Category, category_id, data.parent_id)
        category = _category(found, category_id)
        parent = _category(found, data.parent_id, "parent_id") if data.parent_id is not None else None
        if data.parent_id != category.parent_id:
            _move(session, category, parent)
        _check_sibling_name(session, data.name, parent, category.id)
        category.slug = _slug_for(session, Category, data.slug, data.name, exclude_id=category.id)
        category.name, category.name_en, category.sort = data.name, data.name_en, data.sort
    return category


def _move(session: Session, category: Category, parent: Category | None) -> None:
    """Change the parent and rewrite the paths of the category's whole subtree (both rows locked)."""
    if parent is not None and parent.path.startswith(category.path):
        raise TaxonomyError(_("%(name)s cannot go under %(parent)s: a category cannot be moved under itself or a "
                              "category inside it", name=category.name, parent=parent.name), field="parent_id")
    old, new = category.path, f"{parent.path if parent is not None else '/'}{category.id}/"
    subtree = Category.path.like(f"{old}%")  # paths hold only digits and slashes: nothing to escape
    longest = session.execute(select(func.max(func.length(Category.path))).where(subtree)).scalar_one() or len(old)
    if longest - len(old) + len(new) > PATH_MAX:
        raise TaxonomyError(_("The tree would be too deep there; choose a parent closer to the top"),
                            field="parent_id")
    session.execute(update(Category).where(subtree)
                    .values(path=literal(new, String) + func.substr(Category.path, len(old) + 1, type_=String))
                    .execution_options(synchronize_session="fetch"))
    category.parent_id = parent.id if parent is not None else None


def delete_category(category_id: int, *, move_products_to: int | None = None) -> list[int]:
    """Delete a category without subcategories; its products, if any, go to ``move_products_to``.

    :returns: the ids of the products moved.
    """
    with _unit_of_work() as session:
        found = _locked(session, Category, category_id, move_products_to)
        category = _category(found, category_id)
        children = session.execute(select(func.count(Category.id))
                                   .where(Category.parent_id == category.id)).scalar_one()
        if children:
            raise TaxonomyError(_("%(name)s has %(count)s subcategories; move or delete them first",
                                  name=category.name, count=children))
        held = list(session.execute(select(Product.id).where(Product.category_id == category.id)
                                    .order_by(Product.id)).scalars())
        if held:
            if move_products_to is None:
                raise TaxonomyError(_("%(name)s holds %(count)s products; choose a category to move them to",
                                      name=category.name, count=len(held)), field="move_products_to")
            if move_products_to == category.id:
                raise TaxonomyError(_("Choose another category than the one you delete"), field="move_products_to")
            target = _category(found, move_products_to, "move_products_to")
            session.execute(update(Product).where(Product.id.in_(held)).values(category_id=target.id))
        session.delete(category)
    return held


# brands --------------------------------------------------------------------------------

def _check_brand_name(session: Session, name: str, exclude_id: int | None) -> None:
    query = select(Brand.name).where(func.lower(Brand.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Brand.id != exclude_id)
    taken = session.execute(query).scalars().first()
    if taken is not None:
        raise TaxonomyError(_("There is already a brand named %(name)s", name=taken), field="name")


def _products_of(session: Session, brand: Brand) -> list[Product]:
    """The brand's products with what their search text is made of (their brand, tags and SKUs)."""
    return list(session.execute(select(Product).where(Product.brand_id == brand.id).order_by(Product.id).options(
        selectinload(Product.brand), selectinload(Product.tags), selectinload(Product.variants))).scalars())


def create_brand(data: BrandInput) -> Brand:
    with _unit_of_work() as session:
        _check_brand_name(session, data.name, None)
        brand = Brand(name=data.name, name_en=data.name_en,
                      slug=_slug_for(session, Brand, data.slug, data.name, exclude_id=None))
        session.add(brand)
    return brand


def update_brand(brand_id: int, data: BrandInput) -> Brand:
    """Rename the brand or change its address; its products' search text follows a new name."""
    with _unit_of_work() as session:
        brand = _brand(_locked(session, Brand, brand_id), brand_id)
        _check_brand_name(session, data.name, brand.id)
        renamed = (brand.name, brand.name_en) != (data.name, data.name_en)
        brand.name, brand.name_en = data.name, data.name_en
        brand.slug = _slug_for(session, Brand, data.slug, data.name, exclude_id=brand.id)
        if renamed:
            for product in _products_of(session, brand):
                refresh_search_text(product)
    return brand


def delete_brand(brand_id: int, *, reassign: bool = False, to_brand_id: int | None = None) -> list[int]:
    """Delete a brand. Products that carry it are refused unless ``reassign``: then they get ``to_brand_id``,
    or no brand when it is None.

    :returns: the ids of the products that changed brand.
    """
    with _unit_of_work() as session:
        found = _locked(session, Brand, brand_id, to_brand_id)
        brand = _brand(found, brand_id)
        if to_brand_id == brand.id:
            raise TaxonomyError(_("Choose another brand than the one you delete"), field="products_to")
        target = _brand(found, to_brand_id, "products_to") if to_brand_id is not None else None
        held = _products_of(session, brand)
        if held and not reassign:
            raise TaxonomyError(_("%(count)s products carry %(name)s; give them another brand or none first",
                                  name=brand.name, count=len(held)), field="products_to")
        for product in held:
            product.brand = target
            refresh_search_text(product)
        session.flush()
        session.delete(brand)
    return [product.id for product in held]
