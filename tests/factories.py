"""factory_boy factories for the domain model; tests build exactly the data they need."""

import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from allies.accounts.models import Address, User
from allies.catalog.models import Category, Offer, Product, Variant
from allies.core.text import search_document
from allies.vendors.models import Vendor, VendorMembership

PASSWORD = "Motdepasse-solide-42"
_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"client{n}@example.test")
    first_name = "Jean"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    kind = Address.Kind.DELIVERY
    recipient = "Jean Martin"
    street = "12 rue de la Paix"
    postcode = "75002"
    city = "Paris"
    country = "FR"
    phone = "0601020304"


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Maison Test {n}")
    slug = factory.Sequence(lambda n: f"maison-test-{n}")
    legal_name = factory.Sequence(lambda n: f"Maison Test {n} SAS")
    legal_form = "SAS"
    siret = "73282932000074"
    vat_number = "FR44732829320"
    street = "1 rue du Commerce"
    postcode = "69002"
    city = "Lyon"
    email = factory.Sequence(lambda n: f"vendeur{n}@example.test")


class VendorMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorMembership

    vendor = factory.SubFactory(VendorFactory)
    user = factory.SubFactory(UserFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Catégorie {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"categorie-{n}")
    size_scale = "S,M,L,XL"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Chemise Oxford {n}")
    slug = factory.Sequence(lambda n: f"chemise-oxford-{n}")
    brand = "Atelier Test"
    description = "Une chemise en coton oxford, coupe droite."
    kind = Product.Kind.SHIRT
    created_at = factory.LazyFunction(timezone.now)
    search_text = factory.LazyAttribute(
        lambda o: search_document(o.title, o.brand, o.category.name)
    )
    title_search = factory.LazyAttribute(lambda o: search_document(o.title))


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    size = "M"
    colour = "Bleu"


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    vendor = factory.SubFactory(VendorFactory)
    variant = factory.SubFactory(VariantFactory)
    price = Decimal("49.90")
    stock = 10
