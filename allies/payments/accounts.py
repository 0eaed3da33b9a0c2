"""Vendors' payment accounts (PAY-1): the wallet at the provider, KYC documents, the IBAN.

The writes, whatever the gateway:

- `vendor_account_open` writes the vendor's `VendorAccount` (one per vendor; calling it again
  is harmless) with its bank details and the company's legal representative, then, once
  committed, `vendor_account_sync` asks the provider for whatever is missing: the wallet
  (`account_create`, which sends the representative), the bank account (`iban_register`),
  documents not sent yet. A provider that times out leaves the row with the step still to do
  (`last_error` says why); running `vendor_account_open` or `vendor_account_sync` again
  finishes it. Provider calls never happen inside a transaction or a row lock.
- The legal representative (first and last names, nationality, date, city and country of
  birth: what LemonWay identifies) is checked by `representative_errors`, the same checks the
  "Devenir vendeur" form shows. No wallet is ever asked for without one: opening the account
  of a vendor whose representative is unknown (a vendor made before it was asked) is refused
  with `VendorAccountError` (code "representative"), nothing written.
- `kyc_document_submit` stores a checked file privately (`allies.payments.storage`), writes a
  `KycDocument`, and sends it to the provider after commit.
- `kyc_notification_apply` applies the provider's "document status changed" notification
  (LemonWay category 9: ExtId = wallet, DocId, DocType, Status) — the sandbox sends the same
  one. The body is checked against what we sent (document id, wallet, type) rather than
  re-read: LemonWay offers no per-document read. Applying it twice changes nothing.
- It also applies the "wallet status changed" notification (LemonWay category 8: ExtId =
  wallet, Status, Blocked), never trusting its body: the wallet's status is re-read from the
  provider (`fetch_account`, LemonWay `GET /v2/accounts/{id}`) and the account moved to what
  that answer says — verified (KYC 2) → validated, documents rejected or expired → refused,
  blocked / frozen / closed → blocked, not verified (yet) → what its documents say, short of
  validated. Duplicates and late notifications re-read the same current status and change
  nothing; a wallet that is not ours is recorded as ignored, with the reason.
- Otherwise the account's status is derived from its documents (`_account_status_recompute`):
  it is "validated" when the latest document of each required kind is validated by the
  provider. A blocked account stays blocked until the provider's wallet status says otherwise.
  It only moves through `account_states.vendor_account_transition`.

Files: callers check uploads first with the project's attachment checks
(`allies.support.attachments.attachment_check`: content sniffing, size limit, PDF structure,
images re-encoded without metadata) and pass the result; payments sits below support in the
layers, so this module only re-checks that the content is a PDF, JPEG or PNG within the size
limit (KYC does not take WebP).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from allies.core.errors import AlliesError
from allies.core.world_countries import is_country
from allies.payments.account_states import (
    VendorAccountTransitionNotAllowed,
    vendor_account_transition,
)
from allies.payments.gateways import get_gateway
from allies.payments.gateways.base import (
    BLOCKED,
    FAILED,
    PENDING,
    SUCCEEDED,
    AccountState,
    GatewayError,
    LegalRepresentative,
)
from allies.payments.ibans import (
    bic_is_valid,
    bic_normalise,
    iban_is_valid,
    iban_normalise,
)
from allies.payments.models import KycDocument, PaymentNotification, VendorAccount
from allies.payments.storage import kyc_storage
from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

REQUIRED_KINDS: tuple[str, ...] = (
    KycDocument.Kind.KBIS,
    KycDocument.Kind.ID,
    KycDocument.Kind.RIB,
)
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
KYC_TYPES = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
HOLDER_MAX = 100

# Notification categories about KYC (LemonWay: 9 = document status changed, 8 = wallet
# status changed).
KYC_DOCUMENT_CATEGORIES = {"9"}
WALLET_STATUS_CATEGORIES = {"8"}
WALLET_ID_MAX = 60
# LemonWay document statuses (KYC reference): 0 on hold, 1 received (manual check), 2
# accepted, 3-8 rejected for a reason. The reason is shown to the vendor in French.
DOCUMENT_STATUS: dict[str, tuple[str, str]] = {
    "0": (PENDING, ""),
    "1": (PENDING, ""),
    "2": (SUCCEEDED, ""),
    "3": (FAILED, gettext_noop("Document refusé par notre prestataire de paiement.")),
    "4": (FAILED, gettext_noop("Document illisible (coupé, flou ou avec des reflets).")),
    "5": (FAILED, gettext_noop("Document expiré.")),
    "6": (FAILED, gettext_noop("Ce type de document n'est pas accepté.")),
    "7": (
        FAILED,
        gettext_noop("Le nom ne correspond pas à celui de l'entreprise ou du dirigeant."),
    ),
    "8": (FAILED, gettext_noop("Document en double : il a déjà été envoyé.")),
}
# LemonWay's DocType for each kind (0 ID card, 2 RIB, 7 Kbis); an ID may also come back as
# a passport (3, 4) or a residence permit (5).
DOC_TYPES: dict[str, frozenset[str]] = {
    KycDocument.Kind.ID: frozenset({"0", "3", "4", "5"}),
    KycDocument.Kind.RIB: frozenset({"2"}),
    KycDocument.Kind.KBIS: frozenset({"7"}),
}


class VendorAccountError(AlliesError):
    """The request cannot be done (bad IBAN, bad file, no legal representative…); `message`
    is for the vendor or staff; `errors` maps the representative's fields to their messages
    when they are at fault."""

    code = "vendor_account_refused"

    def __init__(
        self, message: str = "", *, code: str | None = None, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.errors = errors or {}


class CheckedUpload(Protocol):
    """A file already checked by the attachment checks (`support.attachments.CheckedFile`)."""

    @property
    def name(self) -> str: ...

    @property
    def content(self) -> bytes: ...

    @property
    def content_type(self) -> str: ...


def kyc_document_max_bytes() -> int:
    return int(getattr(settings, "KYC_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


# --- the legal representative --------------------------------------------------------------

# The form fields (the application's and the account's columns bear the same names).
REPRESENTATIVE_FIELDS = (
    "representative_first_name",
    "representative_last_name",
    "representative_nationality",
    "representative_birth_date",
    "representative_birth_city",
    "representative_birth_country",
)
REPRESENTATIVE_NAME_MAX = 100
REPRESENTATIVE_CITY_MAX = 100
ADULT_AGE = 18
OLDEST_AGE = 120
# Letters, with spaces, hyphens, apostrophes or a dot between words ("Jean-Marc", "N'Diaye",
# "St. John"): LemonWay refuses names with other characters.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?$")
_CITY = re.compile(r"^[^\W_][\w '’.()/-]*$")
# Names LemonWay refuses as made up (its account creation rules), compared without accents.
PLACEHOLDER_NAMES = frozenset(
    {
        "name", "nom", "prenom", "lastname", "last name", "firstname", "first name", "test",
        "unknow", "unknown", "inconnu", "xxx", "aaa",
    }
)  # fmt: skip


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def birth_date_parse(value: Any) -> date | None:
    """A date (or its ISO text "1980-07-14", as a form or a JSON body gives it); None when it
    is missing or not a real date."""
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def representative_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The representative's fields of `data`, trimmed (codes upper case, date parsed: None
    when unreadable, the text kept under "_birth_date_text" to tell missing from wrong)."""
    cleaned: dict[str, Any] = {
        name: " ".join(str(data.get(name) or "").split())
        for name in REPRESENTATIVE_FIELDS
        if name != "representative_birth_date"
    }
    for name in ("representative_nationality", "representative_birth_country"):
        cleaned[name] = cleaned[name].upper()
    raw = data.get("representative_birth_date")
    cleaned["representative_birth_date"] = birth_date_parse(raw)
    cleaned["_birth_date_text"] = "" if raw is None else str(raw).strip()
    return cleaned


def _years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def _name_error(value: str, *, first: bool) -> str | None:
    if not value:
        return (
            _("Indiquez le prénom du représentant légal.")
            if first
            else _("Indiquez le nom du représentant légal.")
        )
    if len(value) > REPRESENTATIVE_NAME_MAX:
        return _("%(n)s caractères au plus.") % {"n": REPRESENTATIVE_NAME_MAX}
    if not _NAME.match(value):
        return _(
            "Seuls les lettres, les espaces, les tirets et les apostrophes sont acceptés, "
            "comme sur la pièce d'identité."
        )
    plain = _plain(value)
    letters = [ch for ch in plain if ch.isalpha()]
    if len(letters) < 2 or not any(ch in "aeiouy" for ch in letters) or plain in PLACEHOLDER_NAMES:
        return _("Indiquez le nom réel, tel qu'il figure sur la pièce d'identité.")
    if re.search(r"(.)\1\1", plain):
        return _("La même lettre revient trois fois de suite : vérifiez l'orthographe.")
    return None


def representative_errors(data: Mapping[str, Any], *, today: date | None = None) -> dict[str, str]:
    """Field → message (French) for what is wrong with the legal representative in `data`
    (already `representative_clean`ed). What LemonWay requires and checks: real first and
    last names (letters, 2 at least with a vowel, not a placeholder, not the same twice), a
    nationality, an adult's birth date (18 to 120 years old, not in the future), the city and
    country of birth."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    first = data.get("representative_first_name", "")
    last = data.get("representative_last_name", "")
    for name, value, is_first in (
        ("representative_first_name", first, True),
        ("representative_last_name", last, False),
    ):
        error = _name_error(value, first=is_first)
        if error:
            errors[name] = error
    if not errors and _plain(first) == _plain(last):
        errors["representative_last_name"] = _(
            "Le prénom et le nom du représentant légal doivent être différents."
        )
    if not is_country(data.get("representative_nationality", "")):
        errors["representative_nationality"] = _(
            "Choisissez la nationalité du représentant légal dans la liste."
        )
    born = data.get("representative_birth_date")
    if born is None:
        errors["representative_birth_date"] = (
            _("Indiquez une date de naissance valide, par exemple 14/07/1980.")
            if data.get("_birth_date_text")
            else _("Indiquez la date de naissance du représentant légal.")
        )
    elif born > today:
        errors["representative_birth_date"] = _(
            "La date de naissance ne peut pas être dans le futur."
        )
    elif _years_between(born, today) < ADULT_AGE:
        errors["representative_birth_date"] = _(
            "Le représentant légal doit être majeur (%(n)s ans au moins)."
        ) % {"n": ADULT_AGE}
    elif _years_between(born, today) > OLDEST_AGE:
        errors["representative_birth_date"] = _(
            "Vérifiez la date de naissance : elle donne plus de %(n)s ans."
        ) % {"n": OLDEST_AGE}
    city = data.get("representative_birth_city", "")
    if not city:
        errors["representative_birth_city"] = _(
            "Indiquez la ville de naissance du représentant légal."
        )
    elif len(city) > REPRESENTATIVE_CITY_MAX:
        errors["representative_birth_city"] = _("%(n)s caractères au plus.") % {
            "n": REPRESENTATIVE_CITY_MAX
        }
    elif not _CITY.match(city) or not any(ch.isalpha() for ch in city):
        errors["representative_birth_city"] = _(
            "Indiquez la ville de naissance en lettres, sans caractères spéciaux."
        )
    if not is_country(data.get("representative_birth_country", "")):
        errors["representative_birth_country"] = _("Choisissez le pays de naissance dans la liste.")
    return errors


def representative_from(data: Mapping[str, Any]) -> LegalRepresentative:
    """The representative of `data` (cleaned and checked)."""
    return LegalRepresentative(
        first_name=data["representative_first_name"],
        last_name=data["representative_last_name"],
        nationality=data["representative_nationality"],
        birth_date=data["representative_birth_date"],
        birth_city=data["representative_birth_city"],
        birth_country=data["representative_birth_country"],
    )


def representative_fields(representative: LegalRepresentative) -> dict[str, Any]:
    """The columns of a representative, as the application and the account store them."""
    return {
        "representative_first_name": representative.first_name,
        "representative_last_name": representative.last_name,
        "representative_nationality": representative.nationality,
        "representative_birth_date": representative.birth_date,
        "representative_birth_city": representative.birth_city,
        "representative_birth_country": representative.birth_country,
    }


def representative_of(row: Any) -> LegalRepresentative | None:
    """The representative stored on an account (or an application); None while incomplete."""
    values = {name: getattr(row, name) for name in REPRESENTATIVE_FIELDS}
    if not all(values.values()):
        return None
    return representative_from(values)


def _representative_checked(representative: LegalRepresentative) -> LegalRepresentative:
    cleaned = representative_clean(representative_fields(representative))
    errors = representative_errors(cleaned)
    if errors:
        raise VendorAccountError(
            _("Le représentant légal de l'entreprise est incomplet ou erroné : %(why)s")
            % {"why": " ".join(errors.values())},
            code="representative",
            errors=errors,
        )
    return representative_from(cleaned)


# --- the account ---------------------------------------------------------------------------


def _bank_details_clean(*, iban: str, bic: str, holder: str) -> tuple[str, str, str]:
    iban = iban_normalise(iban)
    bic = bic_normalise(bic)
    holder = " ".join((holder or "").split())
    if not iban_is_valid(iban):
        raise VendorAccountError(
            _("Cet IBAN n'est pas valide : vérifiez-le sur votre RIB."), code="iban"
        )
    if not bic_is_valid(bic):
        raise VendorAccountError(
            _("Ce BIC n'est pas valide : 8 ou 11 caractères, comme sur votre RIB."), code="bic"
        )
    if not holder:
        raise VendorAccountError(_("Indiquez le titulaire du compte."), code="holder")
    if len(holder) > HOLDER_MAX:
        raise VendorAccountError(
            _("Le titulaire du compte : au plus %(n)s caractères.") % {"n": HOLDER_MAX},
            code="holder",
        )
    return iban, bic, holder


def _account_for(vendor: Vendor) -> VendorAccount:
    """The vendor's account row (locked), written when missing. Call inside a transaction."""
    account, _created = VendorAccount.objects.get_or_create(
        vendor=vendor, defaults={"gateway": get_gateway().name}
    )
    return VendorAccount.objects.select_for_update().get(pk=account.pk)


def vendor_account_open(
    *,
    vendor: Vendor,
    iban: str,
    bic: str,
    holder: str,
    representative: LegalRepresentative | None = None,
    by: Any = None,
) -> VendorAccount:
    """Open (or finish opening) the vendor's wallet and register its bank account.

    Idempotent by vendor: the row is written once; the provider is asked, after commit, only
    for what it does not have yet (`vendor_account_sync`). A different IBAN replaces the
    registered one (it is registered again). `representative`, the company's legal
    representative, is stored until the wallet is opened with it (a wallet already opened
    keeps the one it was opened with). Bad bank details, a representative that fails the
    checks, or none at all for a wallet still to open, raise VendorAccountError (French) and
    change nothing. Returns the account as it is after the provider calls (or, inside an
    outer transaction, as written: the calls wait for that commit).
    """
    iban, bic, holder = _bank_details_clean(iban=iban, bic=bic, holder=holder)
    if representative is not None:
        representative = _representative_checked(representative)
    with transaction.atomic():
        account = _account_for(vendor)
        if not account.account_id:
            if representative is not None:
                fields = representative_fields(representative)
                if any(getattr(account, k) != v for k, v in fields.items()):
                    for name, value in fields.items():
                        setattr(account, name, value)
                    account.save(update_fields=[*fields, "updated_at"])
            elif representative_of(account) is None:
                raise VendorAccountError(
                    _(
                        "Le représentant légal de l'entreprise n'est pas connu : le compte de "
                        "paiement ne peut pas être ouvert sans lui (notre prestataire de "
                        "paiement l'identifie). Indiquez-le avec les coordonnées bancaires."
                    ),
                    code="representative",
                )
        if (account.iban, account.bic, account.holder) != (iban, bic, holder):
            changed = bool(account.iban_provider_id)
            account.iban, account.bic, account.holder = iban, bic, holder
            account.iban_provider_id = ""
            account.iban_status = VendorAccount.IbanStatus.NONE
            account.save(
                update_fields=[
                    "iban",
                    "bic",
                    "holder",
                    "iban_provider_id",
                    "iban_status",
                    "updated_at",
                ]
            )
            if changed:
                logger.info("vendor %s: bank account replaced", vendor.pk)
        pk = account.pk
        transaction.on_commit(lambda: vendor_account_sync(account=VendorAccount(pk=pk)))
    return VendorAccount.objects.select_related("vendor").get(pk=pk)


def _step_failed(account: VendorAccount, step: str, exc: GatewayError) -> None:
    logger.warning("vendor account %s: %s failed: %s", account.pk, step, exc)
    VendorAccount.objects.filter(pk=account.pk).update(
        last_error=f"{step}: {exc}"[:300], updated_at=timezone.now()
    )


def _iban_reference(account: VendorAccount) -> str:
    digest = hashlib.sha256(account.iban.encode()).hexdigest()[:10]
    return f"{account.reference}-IBAN-{digest}"


def vendor_account_sync(*, account: VendorAccount) -> VendorAccount:
    """Ask the provider for every step still missing; call outside any transaction.

    Wallet first, then the IBAN, then the documents never sent. Stops at the first step the
    provider does not answer; a later call resumes there. Safe to call any time.
    """
    account = VendorAccount.objects.select_related("vendor").get(pk=account.pk)
    gateway = get_gateway(account.gateway)
    vendor = account.vendor
    if not account.account_id:
        representative = representative_of(account)
        if representative is None:
            # Never a wallet with made-up data: it waits for the representative
            # (`vendor_account_open` refuses to open an account without one).
            reason = "account_create: no legal representative"
            VendorAccount.objects.filter(pk=account.pk).exclude(last_error=reason).update(
                last_error=reason, updated_at=timezone.now()
            )
            return VendorAccount.objects.get(pk=account.pk)
        try:
            result = gateway.account_create(
                reference=account.reference,
                legal_name=vendor.legal_name or vendor.name,
                email=vendor.email,
                country=vendor.country or "FR",
                company_id=vendor.siret,
                representative=representative,
            )
        except GatewayError as exc:
            _step_failed(account, "account_create", exc)
            return VendorAccount.objects.get(pk=account.pk)
        VendorAccount.objects.filter(pk=account.pk, account_id="").update(
            account_id=result.account_id[:60], last_error="", updated_at=timezone.now()
        )
        account = vendor_account_transition(
            account=account,
            to=VendorAccount.Status.DOCUMENTS_PENDING,
            source="provider",
            note=f"wallet {result.account_id}",
        )
    if account.iban and not account.iban_provider_id:
        try:
            kyc = gateway.iban_register(
                account_id=account.account_id,
                holder=account.holder,
                iban=account.iban,
                bic=account.bic,
                reference=_iban_reference(account),
            )
        except GatewayError as exc:
            _step_failed(account, "iban_register", exc)
            if exc.definitive:
                VendorAccount.objects.filter(pk=account.pk, iban=account.iban).update(
                    iban_status=VendorAccount.IbanStatus.REFUSED
                )
            return VendorAccount.objects.get(pk=account.pk)
        iban_status = {
            SUCCEEDED: VendorAccount.IbanStatus.VALIDATED,
            PENDING: VendorAccount.IbanStatus.PENDING,
        }.get(kyc.status, VendorAccount.IbanStatus.REFUSED)
        # Only if the IBAN is still the one registered (the vendor may have changed it).
        VendorAccount.objects.filter(pk=account.pk, iban=account.iban).update(
            iban_provider_id=kyc.provider_id[:64],
            iban_status=iban_status,
            last_error="" if iban_status != "refused" else f"iban: {kyc.message}"[:300],
            updated_at=timezone.now(),
        )
    vendor_account_iban_refresh(account=account)
    for document in KycDocument.objects.filter(account=account, sent_at__isnull=True).exclude(
        status=KycDocument.Status.REFUSED
    ):
        kyc_document_send(document=document)
    _account_status_recompute(account=account)
    return VendorAccount.objects.get(pk=account.pk)


def vendor_account_iban_refresh(*, account: VendorAccount) -> VendorAccount:
    """Re-read an IBAN the provider is still checking (no notification says when LemonWay
    activates it); outside transactions. A provider that cannot answer changes nothing."""
    account = VendorAccount.objects.get(pk=account.pk)
    if not account.iban_provider_id or account.iban_status != VendorAccount.IbanStatus.PENDING:
        return account
    try:
        result = get_gateway(account.gateway).fetch_iban(
            account_id=account.account_id, iban_id=account.iban_provider_id
        )
    except GatewayError as exc:
        logger.warning("vendor account %s: IBAN status unavailable: %s", account.pk, exc)
        return account
    if result is None or result.status == PENDING:
        return account
    status = (
        VendorAccount.IbanStatus.VALIDATED
        if result.status == SUCCEEDED
        else VendorAccount.IbanStatus.REFUSED
    )
    VendorAccount.objects.filter(pk=account.pk, iban_provider_id=account.iban_provider_id).update(
        iban_status=status, updated_at=timezone.now()
    )
    return VendorAccount.objects.get(pk=account.pk)


def vendor_accounts_unfinished_sync() -> int:
    """Finish every account a provider failure left half-open, and re-read the IBANs still
    being checked (for a periodic task). Returns how many are now complete."""
    unfinished = (
        VendorAccount.objects.exclude(last_error="")
        | VendorAccount.objects.filter(iban_status=VendorAccount.IbanStatus.PENDING)
    ).values_list("pk", flat=True)
    done = 0
    for pk in list(unfinished.order_by("pk")[:500]):
        account = vendor_account_sync(account=VendorAccount(pk=pk))
        done += not account.last_error and account.iban_status != "pending"
    return done


# --- documents -----------------------------------------------------------------------------


def kyc_document_submit(
    *, vendor: Vendor, kind: str, uploaded_file: CheckedUpload, by: Any = None
) -> KycDocument:
    """Store one KYC document of the vendor and send it to the provider after commit.

    `uploaded_file` has passed the attachment checks (see the module's docstring). A kind we
    do not ask for, a file that is not a PDF, JPEG or PNG, or too large, raise
    VendorAccountError (French) and nothing is stored. A new document of a kind replaces the
    previous one in the checklist (the older row is kept, for the record).
    """
    if kind not in KycDocument.Kind.values:
        raise VendorAccountError(_("Type de document inconnu."), code="kind")
    content = bytes(uploaded_file.content)
    content_type = _sniff(content[:16])
    if content_type is None or content_type != uploaded_file.content_type:
        raise VendorAccountError(
            _("Envoyez un PDF ou une photo JPEG ou PNG du document."), code="type"
        )
    if len(content) > kyc_document_max_bytes():
        raise VendorAccountError(
            _("Le fichier dépasse la taille maximale de %(size)s Mo.")
            % {"size": f"{kyc_document_max_bytes() / (1024 * 1024):g}"},
            code="too_large",
        )
    if not content:
        raise VendorAccountError(_("Le fichier est vide."), code="empty")
    storage = kyc_storage()
    path = storage.save(
        f"vendors/{vendor.pk}/{uuid.uuid4().hex}{KYC_TYPES[content_type]}", ContentFile(content)
    )
    try:
        with transaction.atomic():
            account = _account_for(vendor)
            document = KycDocument.objects.create(
                vendor=vendor,
                account=account,
                kind=kind,
                file=path,
                original_name=(uploaded_file.name or kind)[:120],
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                reference=f"KYC-{uuid.uuid4().hex[:20]}",
                uploaded_by=by if getattr(by, "pk", None) else None,
            )
            if account.status in (VendorAccount.Status.REFUSED, VendorAccount.Status.VALIDATED):
                vendor_account_transition(
                    account=account,
                    to=VendorAccount.Status.DOCUMENTS_PENDING,
                    actor=by,
                    note=f"{kind} sent",
                )
            doc_pk = document.pk
            transaction.on_commit(lambda: kyc_document_send(document=KycDocument(pk=doc_pk)))
    except BaseException:
        storage.delete(path)
        raise
    return KycDocument.objects.get(pk=doc_pk)


def kyc_document_send(*, document: KycDocument) -> KycDocument:
    """Send a stored document to the provider, at most once at a time; outside transactions.

    Claimed with a conditional UPDATE of `sent_at` (so two callers never both send it). A
    provider that does not answer un-claims it: `vendor_account_sync` sends it again. A
    provider that refuses it marks it refused with a French reason. A document whose wallet
    does not exist yet waits for `vendor_account_sync`.
    """
    document = KycDocument.objects.select_related("account").get(pk=document.pk)
    account = document.account
    if document.sent_at is not None or not account.account_id:
        return document
    if document.status != KycDocument.Status.PENDING:
        return document
    now = timezone.now()
    if not KycDocument.objects.filter(pk=document.pk, sent_at__isnull=True).update(sent_at=now):
        return KycDocument.objects.get(pk=document.pk)
    try:
        with document.file.open("rb") as handle:
            content = handle.read()
        result = get_gateway(account.gateway).kyc_document_upload(
            account_id=account.account_id,
            kind=document.kind,
            filename=document.original_name,
            content=content,
            reference=document.reference,
        )
    except GatewayError as exc:
        logger.warning("KYC document %s: provider error: %s", document.pk, exc)
        if exc.definitive:
            KycDocument.objects.filter(pk=document.pk).update(
                status=KycDocument.Status.REFUSED,
                refusal_message=gettext_noop(
                    "Le document n'a pas pu être transmis : envoyez-le à nouveau."
                ),
                decided_at=timezone.now(),
            )
            _account_status_recompute(account=account)
        else:
            KycDocument.objects.filter(pk=document.pk).update(sent_at=None)
            VendorAccount.objects.filter(pk=account.pk).update(
                last_error=f"kyc_document_upload: {exc}"[:300]
            )
        return KycDocument.objects.get(pk=document.pk)
    # The provider's id; its verdict may already have arrived (the sandbox decides at once).
    KycDocument.objects.filter(pk=document.pk, provider_document_id="").update(
        provider_document_id=result.provider_id[:64]
    )
    if result.status != PENDING:
        _document_decide(
            document=document, status=result.status, message=result.message, source="upload"
        )
    _early_notifications_replay(gateway=account.gateway, provider_id=result.provider_id[:64])
    return KycDocument.objects.get(pk=document.pk)


def _early_notifications_replay(*, gateway: str, provider_id: str) -> None:
    """Apply the notifications about this document that arrived before its id was known."""
    if not provider_id:
        return
    early = PaymentNotification.objects.filter(
        gateway=gateway,
        outcome=PaymentNotification.Outcome.UNKNOWN,
        provider_transaction_id=provider_id,
    ).order_by("id")
    for note in early:

        def finish(outcome: str, detail: str = "", **links: Any) -> PaymentNotification:
            for key, value in links.items():
                setattr(note, key, value)  # noqa: B023 - called at once, in this iteration
            note.outcome = outcome  # noqa: B023
            note.detail = detail[:300]  # noqa: B023
            note.save()  # noqa: B023
            return note  # noqa: B023

        kyc_notification_apply(gateway=gateway, data=note.payload, finish=finish)


def _document_decide(*, document: KycDocument, status: str, message: str, source: str) -> bool:
    """Record the provider's verdict on a document; False when it changes nothing."""
    target = {
        SUCCEEDED: KycDocument.Status.VALIDATED,
        FAILED: KycDocument.Status.REFUSED,
        PENDING: KycDocument.Status.PENDING,
    }[status]
    with transaction.atomic():
        locked = KycDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status == target:
            return False
        locked.status = target
        locked.refusal_message = message[:300] if target == KycDocument.Status.REFUSED else ""
        locked.decided_at = timezone.now() if target != KycDocument.Status.PENDING else None
        locked.save(update_fields=["status", "refusal_message", "decided_at", "updated_at"])
        _account_status_recompute(account=locked.account, source=source)
    return True


def _latest_documents(account: VendorAccount) -> dict[str, KycDocument]:
    latest: dict[str, KycDocument] = {}
    for document in KycDocument.objects.filter(account=account).order_by("created_at", "id"):
        latest[document.kind] = document
    return latest


def _documents_status(account: VendorAccount) -> str:
    """What the account's documents say: validated when the latest of each required kind is,
    refused when one of them is, documents pending otherwise."""
    latest = _latest_documents(account)
    statuses = [latest[k].status if k in latest else None for k in REQUIRED_KINDS]
    if all(s == KycDocument.Status.VALIDATED for s in statuses):
        return VendorAccount.Status.VALIDATED
    if any(s == KycDocument.Status.REFUSED for s in statuses):
        return VendorAccount.Status.REFUSED
    return VendorAccount.Status.DOCUMENTS_PENDING


def _account_status_recompute(*, account: VendorAccount, source: str = "provider") -> None:
    """Move the account to what its documents say (only once the wallet exists, and never
    out of a block: only the provider's wallet status lifts it)."""
    with transaction.atomic():
        account = VendorAccount.objects.select_for_update().get(pk=account.pk)
        if not account.account_id or account.status == VendorAccount.Status.BLOCKED:
            return
        to = _documents_status(account)
        if to != account.status:
            vendor_account_transition(account=account, to=to, source=source)


# --- notifications -------------------------------------------------------------------------


def _category(data: Mapping[str, Any]) -> str:
    return str(data.get("NotifCategory") or "").strip()


def is_kyc_notification(data: Mapping[str, Any]) -> bool:
    """A notification about a vendor's wallet or its KYC documents (not a payment)."""
    return _category(data) in KYC_DOCUMENT_CATEGORIES | WALLET_STATUS_CATEGORIES


def kyc_notification_apply(
    *,
    gateway: str,
    data: Mapping[str, str],
    finish: Callable[..., PaymentNotification],
) -> PaymentNotification:
    """Apply a "document status changed" notification (already stored by the caller, which
    gives `finish(outcome, detail)` to record what was done). Checked against what we sent:
    the document id must be ours, on that wallet, of a type matching its kind.

    A "wallet status changed" notification goes to `wallet_notification_apply`, which may
    raise GatewayError (the provider could not be asked: the caller has the notification
    sent again)."""
    if _category(data) in WALLET_STATUS_CATEGORIES:
        return wallet_notification_apply(gateway=gateway, data=data, finish=finish)
    outcome = PaymentNotification.Outcome
    doc_id = (data.get("DocId") or "").strip()
    wallet = (data.get("ExtId") or "").strip()
    status_code = (data.get("Status") or "").strip()
    doc_type = (data.get("DocType") or "").strip()
    if not doc_id or status_code not in DOCUMENT_STATUS:
        return finish(outcome.INVALID, f"KYC notification: DocId {doc_id!r} Status {status_code!r}")
    document = (
        KycDocument.objects.select_related("account")
        .filter(account__gateway=gateway, provider_document_id=doc_id)
        .order_by("-id")
        .first()
    )
    if document is None:
        # Possibly early: the verdict can come before the upload's answer gave us the id
        # (the sandbox decides at once; LemonWay's notifications may race the answer too).
        # Kept with its id: `kyc_document_send` replays it once the id is recorded.
        return finish(outcome.UNKNOWN, f"document {doc_id}", provider_transaction_id=doc_id[:64])
    problems = []
    if wallet and wallet != document.account.account_id:
        problems.append(f"wallet {wallet} vs {document.account.account_id}")
    if doc_type and doc_type not in DOC_TYPES[document.kind]:
        problems.append(f"DocType {doc_type} for {document.kind}")
    if problems:
        logger.warning("KYC notification for document %s contradicted: %s", doc_id, problems)
        return finish(outcome.MISMATCH, "; ".join(problems))
    status, message = DOCUMENT_STATUS[status_code]
    changed = _document_decide(document=document, status=status, message=message, source="provider")
    if changed and status == SUCCEEDED:
        # The RIB checked is usually when the provider activates the IBAN: look again.
        vendor_account_iban_refresh(account=document.account)
    detail = f"document {document.pk} ({document.kind}) {status}"
    if status == PENDING and not changed:
        return finish(outcome.PENDING, detail)
    return finish(outcome.APPLIED if changed else outcome.DUPLICATE, detail)


def _wallet_target(account: VendorAccount, state: AccountState) -> str:
    """The account's status for the provider's wallet status `state`."""
    S = VendorAccount.Status
    if state.status == BLOCKED:
        return S.BLOCKED
    if state.status == SUCCEEDED:
        return S.VALIDATED
    if state.status == FAILED:
        return S.REFUSED
    # Not verified (yet, or any more): what the documents say, short of validated.
    return S.REFUSED if _documents_status(account) == S.REFUSED else S.DOCUMENTS_PENDING


def wallet_notification_apply(
    *,
    gateway: str,
    data: Mapping[str, str],
    finish: Callable[..., PaymentNotification],
) -> PaymentNotification:
    """Apply a "wallet status changed" notification (LemonWay category 8: ExtId, Status,
    Blocked): the wallet's status is re-read from the provider, and the account moved to
    what that answer says (module docstring). The body only says which wallet to re-read.

    Raises GatewayError, after recording the notification as an error, when the provider
    cannot be asked."""
    outcome = PaymentNotification.Outcome
    wallet = (data.get("ExtId") or "").strip()
    claimed = (data.get("Status") or "").strip()
    if not wallet or len(wallet) > WALLET_ID_MAX or not wallet.isprintable():
        return finish(outcome.INVALID, f"wallet notification: ExtId {wallet[:WALLET_ID_MAX]!r}")
    account = VendorAccount.objects.filter(gateway=gateway, account_id=wallet).first()
    if account is None:
        return finish(outcome.IGNORED, f"wallet {wallet}: not a vendor wallet of ours")
    try:
        state = get_gateway(gateway).fetch_account(account_id=wallet)
    except GatewayError as exc:
        finish(outcome.ERROR, f"wallet {wallet}: status unavailable: {exc}")
        raise
    if state is None:
        logger.warning("wallet notification for %s: the provider does not know it", wallet)
        return finish(outcome.MISMATCH, f"wallet {wallet}: unknown to the provider")
    said = f"provider status {state.code or '?'}"
    if claimed and claimed != state.code:
        said += f" (the notification said {claimed})"  # late: the status moved since
    if not state.status:
        return finish(outcome.IGNORED, f"wallet {wallet}: {said}, not a vendor wallet status")
    with transaction.atomic():
        locked = VendorAccount.objects.select_for_update().get(pk=account.pk)
        target = _wallet_target(locked, state)
        before = locked.status
        try:
            locked = vendor_account_transition(
                account=locked, to=target, source="provider", note=f"wallet status {state.code}"
            )
        except VendorAccountTransitionNotAllowed:
            return finish(outcome.IGNORED, f"wallet {wallet}: {said}; {before} → {target} refused")
    detail = f"wallet {wallet}: {said} → account {locked.status}"
    if locked.status == before:
        return finish(outcome.DUPLICATE, detail)
    if before == VendorAccount.Status.BLOCKED or target == VendorAccount.Status.VALIDATED:
        # Unblocked or verified: the IBAN may have been activated meanwhile.
        transaction.on_commit(lambda: vendor_account_iban_refresh(account=locked), robust=True)
    return finish(outcome.APPLIED, detail)
