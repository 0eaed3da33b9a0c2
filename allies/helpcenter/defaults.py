# ruff: noqa: E501 - answers are paragraphs, one line each (the markup joins lines of a paragraph)
"""The default help centre (SITE-2): written for this product, in French and English.

Loaded by `services.helpcenter_defaults_load` (the data migration, the demo); the operator
edits it afterwards from the console. Markup: see `allies.helpcenter.markup`. Delays are
tokens, never typed; each answer names the PRODUCT.md rules it describes (`rules`), and a
test checks that every one exists and is covered by a test.
"""

from __future__ import annotations

from typing import Any

DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    # --- Compte client ------------------------------------------------------------------------
    {
        "topic": "compte-client",
        "slug": "creer-un-compte",
        "rules": "ACC-1 ACC-8",
        "question_fr": "Comment créer mon compte client ?",
        "answer_fr": """
Votre compte vous sert à suivre vos commandes, retrouver vos factures et écrire aux vendeurs. Pour l'ouvrir, il suffit d'une adresse email et d'un mot de passe.

1. Ouvrez la page [[lien:accounts:sign_up|Créer un compte]].
2. Saisissez votre adresse email : elle sera votre identifiant. Une adresse ne peut servir qu'à un seul compte, majuscules ou non.
3. Choisissez un mot de passe d'au moins {{valeur:mot_de_passe}} caractères, en mêlant lettres, chiffres et symboles.

Une fois connecté, **COMPTE** en haut de chaque page vous mène à votre espace : vos informations, **Mes achats** (toutes vos commandes et leur suivi), **Mes demandes** (vos échanges avec les vendeurs et le service client) et vos adresses.
""",
        "question_en": "How do I create a customer account?",
        "answer_en": """
Your account lets you follow your orders, find your invoices and write to vendors. All it takes is an email address and a password.

1. Open the [[lien:accounts:sign_up|sign-up page]].
2. Enter your email address: it becomes your login. One address can only be used for one account, whatever its capitals.
3. Choose a password of at least {{valeur:mot_de_passe}} characters, mixing letters, digits and symbols.

Once logged in, **COMPTE** at the top of every page takes you to your space: your details, **Mes achats** (all your orders and their tracking), **Mes demandes** (your conversations with vendors and customer service) and your addresses.
""",
    },
    {
        "topic": "compte-client",
        "slug": "mot-de-passe-oublie",
        "rules": "ACC-3",
        "featured": True,
        "question_fr": "J'ai oublié mon mot de passe : que faire ?",
        "answer_fr": """
Pas d'inquiétude, vous pouvez en choisir un nouveau vous-même.

1. Ouvrez la page [[lien:accounts:password_reset|Mot de passe oublié]] et saisissez l'adresse email de votre compte.
2. Nous vous envoyons un lien personnel. Il ne sert qu'une fois et expire au bout d'un moment : utilisez-le rapidement.
3. Choisissez votre nouveau mot de passe, d'au moins {{valeur:mot_de_passe}} caractères.

Rien reçu ? Regardez dans vos courriers indésirables. Par discrétion, la page affiche le même message que l'adresse ait un compte ou non : vérifiez donc l'orthographe de l'adresse saisie.
""",
        "question_en": "I forgot my password: what should I do?",
        "answer_en": """
Don't worry, you can choose a new one yourself.

1. Open the [[lien:accounts:password_reset|forgotten password page]] and enter your account's email address.
2. We send you a personal link. It works once and expires after a while: use it promptly.
3. Choose your new password, at least {{valeur:mot_de_passe}} characters long.

Nothing arrived? Look in your spam folder. For your privacy the page shows the same message whether or not the address has an account, so check the address you typed.
""",
    },
    {
        "topic": "compte-client",
        "slug": "changer-mot-de-passe",
        "rules": "ACC-4",
        "question_fr": "Comment changer mon mot de passe ?",
        "answer_fr": """
Connecté à votre compte, ouvrez **[[lien:accounts:settings|Paramètres de compte]]**. Saisissez votre mot de passe actuel puis le nouveau, d'au moins {{valeur:mot_de_passe}} caractères.

Le mot de passe actuel est demandé pour que personne ne puisse le changer à votre place depuis un ordinateur resté ouvert. Si vous ne vous en souvenez plus, passez par [[lien:accounts:password_reset|Mot de passe oublié]].
""",
        "question_en": "How do I change my password?",
        "answer_en": """
While logged in, open **[[lien:accounts:settings|Paramètres de compte]]** (account settings). Enter your current password, then the new one, at least {{valeur:mot_de_passe}} characters long.

Your current password is asked so that nobody can change it for you from a computer left open. If you no longer remember it, use the [[lien:accounts:password_reset|forgotten password page]].
""",
    },
    {
        "topic": "compte-client",
        "slug": "changer-adresse-email",
        "rules": "ACC-5",
        "question_fr": "Comment changer l'adresse email de mon compte ?",
        "answer_fr": """
1. Connectez-vous, puis ouvrez **[[lien:accounts:settings|Paramètres de compte]]**.
2. Dans **Modifier mon email**, écrivez la nouvelle adresse dans le champ **Votre email**.
3. Confirmez avec votre mot de passe actuel, puis cliquez sur **Valider**.

La nouvelle adresse devient votre identifiant de connexion. Par sécurité, nous prévenons votre ancienne adresse du changement : si vous n'en êtes pas l'auteur, [[lien:support:contact|contactez le service client]].
""",
        "question_en": "How do I change my account's email address?",
        "answer_en": """
1. Log in, then open **[[lien:accounts:settings|Paramètres de compte]]** (account settings).
2. Under **Modifier mon email**, type the new address in the **Votre email** field.
3. Confirm with your current password and click **Valider**.

The new address becomes your login. For your safety we tell your previous address about the change: if you did not make it, [[lien:support:contact|contact customer service]].
""",
    },
    {
        "topic": "compte-client",
        "slug": "newsletter",
        "rules": "ACC-6",
        "question_fr": "Comment ne plus recevoir la newsletter ?",
        "answer_fr": """
Deux possibilités, au choix :

- cliquez sur le lien de désinscription présent en bas de chaque newsletter : un clic suffit, sans avoir à vous connecter ;
- ou connectez-vous, ouvrez **[[lien:accounts:newsletter|Mes abonnements aux offres]]**, décochez « Je souhaite recevoir avant tout le monde les offres… par email » et validez.

Vous continuerez à recevoir les emails liés à vos commandes (confirmation, expédition, facture, réponses à vos demandes) : ils ne sont pas publicitaires.
""",
        "question_en": "How do I stop receiving the newsletter?",
        "answer_en": """
Either way works:

- click the unsubscribe link at the bottom of any newsletter: one click is enough, no need to log in;
- or log in, open **[[lien:accounts:newsletter|Mes abonnements aux offres]]** (offer subscriptions), untick the box offering to receive our offers first by email, and confirm.

You will still receive the emails about your orders (confirmation, shipping, invoice, answers to your requests): they are not advertising.
""",
    },
    {
        "topic": "compte-client",
        "slug": "desactiver-mon-compte",
        "rules": "ACC-7",
        "question_fr": "Comment désactiver mon compte ?",
        "answer_fr": """
Connecté, ouvrez **[[lien:accounts:deactivate|Désactiver mon compte]]** et confirmez votre demande.

Ce qui change ensuite :

- vous ne pouvez plus vous connecter à ce compte ;
- vous ne recevez plus aucun email de notre part ;
- vos commandes et factures sont conservées, comme la loi nous l'impose.

Vous changez d'avis ? Seul le service client peut rouvrir un compte désactivé : écrivez-nous par le [[lien:support:contact|formulaire de contact]] ou à {{valeur:email_service_client}}, depuis l'adresse du compte.
""",
        "question_en": "How do I deactivate my account?",
        "answer_en": """
While logged in, open **[[lien:accounts:deactivate|Désactiver mon compte]]** (deactivate my account) and confirm.

What happens next:

- you can no longer log in to this account;
- you no longer receive any email from us;
- your orders and invoices are kept, as the law requires.

Changed your mind? Only customer service can reopen a deactivated account: write to us through the [[lien:support:contact|contact form]] or at {{valeur:email_service_client}}, from the account's address.
""",
    },
    {
        "topic": "compte-client",
        "slug": "carnet-d-adresses",
        "rules": "ACC-9 ACC-8",
        "question_fr": "Comment gérer mes adresses de livraison et de facturation ?",
        "answer_fr": """
Toutes vos adresses sont dans **[[lien:accounts:addresses|Mes adresses]]** : vous pouvez y ajouter plusieurs adresses de livraison, une adresse de facturation, les modifier, les supprimer ou choisir celle proposée par défaut.

Ces changements valent pour vos **prochaines** commandes. Une commande déjà validée garde les adresses choisies au moment de l'achat : pour changer l'adresse de livraison d'une commande en cours, utilisez **Modifier la livraison** sur cette commande, dans [[lien:orders:purchases|Mes achats]].

Pour une livraison à domicile, précisez étage, bâtiment ou digicode : le livreur vous trouvera plus facilement.
""",
        "question_en": "How do I manage my delivery and billing addresses?",
        "answer_en": """
All your addresses are under **[[lien:accounts:addresses|Mes adresses]]** (my addresses): add several delivery addresses and a billing address, edit or delete them, or choose the one offered by default.

These changes apply to your **future** orders. An order already placed keeps the addresses chosen at checkout: to change the delivery address of a current order, use **Modifier la livraison** (change delivery) on that order, in [[lien:orders:purchases|Mes achats]].

For home delivery, add the floor, building or door code: it helps the courier find you.
""",
    },
    # --- Gestion de commande ------------------------------------------------------------------
    {
        "topic": "gestion-de-commande",
        "slug": "ajouter-un-article",
        "rules": "ORD-4",
        "question_fr": "Puis-je ajouter un article à une commande déjà passée ?",
        "answer_fr": """
Une commande payée ne peut plus être complétée. Le plus simple est de passer une **seconde commande** avec l'article oublié : c'est la seule solution si votre première commande est déjà expédiée.

Si la première commande n'est pas encore validée (paiement non abouti), vous pouvez aussi l'abandonner et repasser une commande complète. Gardez en tête que chaque vendeur expédie ses propres articles : un article d'un autre vendeur fait de toute façon l'objet d'un envoi séparé.
""",
        "question_en": "Can I add an item to an order I have already placed?",
        "answer_en": """
A paid order can no longer be added to. The simplest way is to place a **second order** with the forgotten item: it is the only option once your first order has shipped.

If the first order is not validated yet (payment not completed), you can also leave it and place a complete order again. Bear in mind that each vendor ships its own items: an item from another vendor travels separately anyway.
""",
    },
    {
        "topic": "gestion-de-commande",
        "slug": "annuler-des-articles",
        "rules": "ORD-5",
        "featured": True,
        "question_fr": "Comment annuler tout ou partie de ma commande ?",
        "answer_fr": """
Ouvrez la commande dans [[lien:orders:purchases|Mes achats]], puis **Annuler des articles** à côté du vendeur concerné, et choisissez les articles.

- **Le vendeur n'a pas encore accepté votre commande** : l'annulation est immédiate et vous êtes remboursé.
- **Le vendeur l'a acceptée mais pas encore expédiée** : votre annulation lui est transmise, il la confirme (vous êtes alors remboursé) ou la refuse si le colis part déjà.
- **Le colis est expédié** : il n'est plus possible d'annuler. Vous pouvez refuser le colis à la livraison ; le vendeur peut alors retenir des frais de retour, dont le montant est indiqué sur la page d'annulation avant que vous décidiez.

Le remboursement comprend le prix de l'article et les frais de port qui lui sont liés, sauf si la livraison était offerte. Il est fait sur la carte utilisée pour payer.

Bon à savoir : un vendeur a {{delai:acceptation}} pour accepter une commande payée. S'il n'a pas répondu au bout de {{delai:annulation_auto}}, la commande est annulée et remboursée automatiquement.
""",
        "question_en": "How do I cancel all or part of my order?",
        "answer_en": """
Open the order in [[lien:orders:purchases|Mes achats]] (my purchases), click **Annuler des articles** (cancel items) next to the vendor concerned, and choose the items.

- **The vendor has not accepted your order yet**: the cancellation is immediate and you are refunded.
- **The vendor accepted it but has not shipped it**: your cancellation is passed on; the vendor confirms it (you are then refunded) or refuses it if the parcel is already leaving.
- **The parcel has shipped**: it can no longer be cancelled. You may refuse the parcel on delivery; the vendor may then keep return costs, whose amount the cancellation page shows before you decide.

The refund covers the item's price and the shipping fee attached to it, unless shipping was free. It goes back to the card you paid with.

Good to know: a vendor has {{delai:acceptation}} to accept a paid order. Without an answer after {{delai:annulation_auto}}, the order is cancelled and refunded automatically.
""",
    },
    {
        "topic": "gestion-de-commande",
        "slug": "plusieurs-frais-de-port",
        "rules": "CHK-1 CHK-3 CHK-4 ORD-1",
        "question_fr": "Pourquoi ai-je plusieurs frais de port sur ma commande ?",
        "answer_fr": """
Les Alliés est une place de marché : chaque article est vendu et expédié par un vendeur indépendant, depuis ses propres ateliers ou entrepôts. Chaque vendeur fixe ses tarifs de livraison, ses modes d'envoi et ses délais.

Si votre panier réunit des articles de plusieurs vendeurs, il est présenté vendeur par vendeur et votre commande compte donc un envoi, et des frais de port, par vendeur. Certains vendeurs offrent la livraison.

Vous voyez le détail des frais de chaque vendeur à l'étape **Livraison de vos achats**, avant de payer.
""",
        "question_en": "Why does my order have several shipping fees?",
        "answer_en": """
Les Alliés is a marketplace: each item is sold and shipped by an independent vendor, from its own workshop or warehouse. Each vendor sets its own shipping rates, modes and delays.

If your cart holds items from several vendors, it is shown vendor by vendor, so your order has one shipment, and one shipping fee, per vendor. Some vendors ship for free.

You see each vendor's fees at the **Livraison de vos achats** (delivery) step, before paying.
""",
    },
    {
        "topic": "gestion-de-commande",
        "slug": "plusieurs-colis",
        "rules": "ORD-1 CAT-5 ORD-3",
        "question_fr": "Pourquoi ma commande arrive-t-elle en plusieurs colis ?",
        "answer_fr": """
C'est normal dans deux cas :

- **plusieurs vendeurs** : chacun prépare et expédie ses articles de son côté, et vous recevez un email à chaque expédition ;
- **un article volumineux** (un meuble par exemple) : il peut voyager en plusieurs colis, numérotés « Colis 1/3 », « Colis 2/3 »… qui n'arrivent pas forcément le même jour.

À la réception, vérifiez l'étiquette de chaque colis pour savoir combien vous en attendez. Le détail des envois est dans [[lien:orders:purchases|Mes achats]], onglet **Expéditions** de la commande. Tant que la date de livraison estimée n'est pas passée, patientez : le reste est en route.
""",
        "question_en": "Why does my order arrive in several parcels?",
        "answer_en": """
That is normal in two cases:

- **several vendors**: each prepares and ships its items separately, and you get an email for each shipment;
- **a bulky item** (a piece of furniture, say): it may travel in several parcels, labelled "Colis 1/3", "Colis 2/3"… which do not always arrive the same day.

On receipt, check each parcel's label to know how many to expect. The shipments are listed in [[lien:orders:purchases|Mes achats]], in the order's **Expéditions** (shipments) tab. Until the estimated delivery date has passed, please wait: the rest is on its way.
""",
    },
    {
        "topic": "gestion-de-commande",
        "slug": "contacter-un-vendeur",
        "rules": "CAT-4 ORD-7 CS-1",
        "featured": True,
        "question_fr": "Comment contacter un vendeur ?",
        "answer_fr": """
Avant d'acheter, cliquez sur **Posez une question** sur la page du produit : votre question part directement au vendeur qui le propose.

Après votre achat, ouvrez la commande dans [[lien:orders:purchases|Mes achats]] et cliquez sur **Contacter le vendeur** (ou **Assistance en ligne**). Choisissez l'objet de votre demande dans la liste, écrivez votre message et ajoutez une pièce jointe si besoin (une photo, par exemple).

Le vendeur vous répond sous {{delai:reponse_vendeur}}. Sa réponse arrive par email et dans **[[lien:support:threads|Mes demandes]]** ; vous pouvez lui répondre depuis l'une ou l'autre. Vos adresses email restent confidentielles de part et d'autre.
""",
        "question_en": "How do I contact a vendor?",
        "answer_en": """
Before buying, click **Posez une question** (ask a question) on the product page: your question goes straight to the vendor offering it.

After your purchase, open the order in [[lien:orders:purchases|Mes achats]] and click **Contacter le vendeur** (contact the vendor) or **Assistance en ligne** (online help). Pick the subject of your request from the list, write your message and attach a file if useful (a photo, for instance).

The vendor answers within {{delai:reponse_vendeur}}. The answer arrives by email and in **[[lien:support:threads|Mes demandes]]** (my requests); you can reply from either. Neither side ever sees the other's email address.
""",
    },
    {
        "topic": "gestion-de-commande",
        "slug": "statuts-de-commande",
        "rules": "ORD-2 ORD-8",
        "question_fr": "Que signifient les statuts de ma commande ?",
        "answer_fr": """
Chaque vendeur de votre commande a son propre statut, visible dans [[lien:orders:purchases|Mes achats]] :

- **En attente de paiement** : votre paiement n'a pas encore abouti ; la commande ne part qu'une fois payée.
- **En préparation** : le vendeur accepte votre commande (il a {{delai:acceptation}} pour accepter ou refuser chaque article) puis prépare votre colis. Les délais de livraison affichés tiennent compte de cette étape.
- **Expédiée** : le colis est chez le transporteur ; vous avez reçu un email avec le numéro de suivi.
- **Livrée** : le transporteur ou le vendeur a confirmé la livraison.
- **Refusée par le vendeur** ou **Annulée** : l'article ne sera pas envoyé et vous êtes remboursé (article et part des frais de port).
""",
        "question_en": "What do my order's statuses mean?",
        "answer_en": """
Each vendor of your order has its own status, shown in [[lien:orders:purchases|Mes achats]]:

- **En attente de paiement** (awaiting payment): your payment has not gone through yet; the order only starts once paid.
- **En préparation** (being prepared): the vendor accepts your order (it has {{delai:acceptation}} to accept or refuse each item), then packs your parcel. The delivery estimates shown include this step.
- **Expédiée** (shipped): the parcel is with the carrier; you received an email with the tracking number.
- **Livrée** (delivered): the carrier or the vendor confirmed delivery.
- **Refusée par le vendeur** or **Annulée** (refused or cancelled): the item will not be sent and you are refunded (item and its share of shipping).
""",
    },
    # --- Livraison ----------------------------------------------------------------------------
    {
        "topic": "livraison",
        "slug": "modes-et-frais-de-livraison",
        "rules": "CAT-3 CHK-2 CHK-3 CHK-4",
        "featured": True,
        "question_fr": "Quels sont les modes de livraison et combien coûtent-ils ?",
        "answer_fr": """
Selon le vendeur, trois modes peuvent vous être proposés : **Domicile**, **Express** et **Point relais** (vous choisissez alors le point relais).

Le prix dépend :

- du vendeur, qui fixe ses tarifs (certains livrent gratuitement) ;
- du mode choisi, l'Express étant en général plus cher ;
- de la quantité, du poids et du volume commandés ;
- de la destination : la Corse et la Belgique coûtent souvent plus cher que la France continentale.

Sur chaque page produit, le bloc **Modes de livraison disponibles** indique les destinations, les modes, le délai estimé et les frais. Pour tout votre panier, saisissez votre code postal et votre ville dans le [[lien:cart:detail|panier]] : la simulation affiche les options et le total de chaque vendeur. Le choix se fait à l'étape **Livraison de vos achats**, avant le paiement.
""",
        "question_en": "Which delivery modes are there and what do they cost?",
        "answer_en": """
Depending on the vendor, three modes may be offered: **Domicile** (home), **Express** and **Point relais** (relay point, which you then choose).

The price depends on:

- the vendor, who sets its own rates (some deliver for free);
- the mode chosen, Express being usually dearer;
- the quantity, weight and volume ordered;
- the destination: Corsica and Belgium often cost more than mainland France.

On every product page, the **Modes de livraison disponibles** block shows destinations, modes, estimated delay and fees. For your whole cart, enter your postcode and town in the [[lien:cart:detail|cart]]: the simulation shows each vendor's options and the total. You choose at the **Livraison de vos achats** step, before paying.
""",
    },
    {
        "topic": "livraison",
        "slug": "pays-livres",
        "rules": "CHK-4",
        "question_fr": "Dans quels pays livrez-vous ?",
        "answer_fr": """
Nous livrons en **France continentale**, en **Corse** et en **Belgique**. Les frais de port diffèrent selon ces trois zones et sont calculés au moment de choisir la livraison.

Une adresse dans un autre pays, y compris les départements et territoires d'outre-mer, ne peut pas être livrée : la commande vous le signale avant tout paiement.
""",
        "question_en": "Which countries do you deliver to?",
        "answer_en": """
We deliver to **mainland France**, **Corsica** and **Belgium**. Shipping fees differ between these three zones and are worked out when you choose the delivery.

An address in any other country, including French overseas departments and territories, cannot be delivered: checkout tells you so before any payment.
""",
    },
    {
        "topic": "livraison",
        "slug": "modifier-adresse-de-livraison",
        "rules": "ORD-6",
        "featured": True,
        "question_fr": "Comment changer l'adresse de livraison d'une commande ?",
        "answer_fr": """
Ouvrez la commande dans [[lien:orders:purchases|Mes achats]] et cliquez sur **Modifier la livraison** à côté du vendeur concerné.

- **Dans les {{delai:modification_adresse}} qui suivent la commande**, et tant que le colis n'est pas parti, vous modifiez l'adresse vous-même, immédiatement.
- **Au-delà**, et avant l'expédition, votre nouvelle adresse est une demande transmise au vendeur, qui l'accepte ou non. S'il ne peut pas, vous pouvez encore annuler les articles et recommander à la bonne adresse.
- **Une fois le colis expédié**, la demande passe au service client, qui demande au transporteur de réacheminer le colis. Le transporteur n'accepte que les changements sans surcoût (par exemple dans le même département, avant la tournée de livraison).

Une adresse dans une autre zone de livraison (par exemple de la France vers la Belgique) est refusée, car les frais de port ne sont pas les mêmes. Chaque changement apparaît dans le suivi de la commande.

Pour vos prochaines commandes, mettez à jour [[lien:accounts:addresses|Mes adresses]].
""",
        "question_en": "How do I change an order's delivery address?",
        "answer_en": """
Open the order in [[lien:orders:purchases|Mes achats]] and click **Modifier la livraison** (change delivery) next to the vendor concerned.

- **Within {{delai:modification_adresse}} of ordering**, and as long as the parcel has not left, you change the address yourself, at once.
- **Later**, and before shipping, your new address is a request passed to the vendor, who accepts it or not. If it cannot, you may still cancel the items and order again with the right address.
- **Once the parcel has shipped**, the request goes to customer service, who asks the carrier to redirect the parcel. The carrier only accepts changes at no extra cost (for example within the same département, before the delivery round).

An address in another delivery zone (say from France to Belgium) is refused, since the shipping fee differs. Every change shows in the order's tracking.

For your future orders, update [[lien:accounts:addresses|Mes adresses]].
""",
    },
    {
        "topic": "livraison",
        "slug": "changer-de-destinataire",
        "rules": "ORD-6",
        "question_fr": "Puis-je faire livrer ma commande à une autre personne ?",
        "answer_fr": """
Oui. Tant que la commande n'est pas livrée, ouvrez-la dans [[lien:orders:purchases|Mes achats]], cliquez sur **Modifier la livraison** et indiquez le nom du nouveau destinataire.

- Colis en préparation : le vendeur lit le nouveau nom sur votre commande.
- Colis expédié : le nouveau destinataire est transmis au transporteur.

Si la livraison doit aussi se faire à une autre adresse, voyez la question sur le changement d'adresse de livraison.
""",
        "question_en": "Can someone else receive my order?",
        "answer_en": """
Yes. Until the order is delivered, open it in [[lien:orders:purchases|Mes achats]], click **Modifier la livraison** (change delivery) and enter the new recipient's name.

- Parcel being prepared: the vendor reads the new name on your order.
- Parcel shipped: the new recipient is passed on to the carrier.

If the delivery must also go to another address, see the question about changing the delivery address.
""",
    },
    {
        "topic": "livraison",
        "slug": "suivre-mon-colis",
        "rules": "ORD-3 CAT-5 ORD-1",
        "featured": True,
        "question_fr": "Comment suivre mon colis ?",
        "answer_fr": """
Dès qu'un vendeur expédie vos articles, vous recevez un email avec le nom du transporteur, le numéro de suivi (cliquable) et la date de livraison estimée. Pensez à regarder vos courriers indésirables.

Les mêmes informations sont dans votre compte : **COMPTE**, puis [[lien:orders:purchases|Mes achats]], la commande, et l'onglet **Expéditions**. Chaque colis y a son numéro, par exemple « Colis 1/3 » pour un envoi en trois colis.

Le suivi avance au rythme de la tournée du transporteur, qui peut aussi vous contacter par email, SMS ou téléphone pour convenir d'un rendez-vous.
""",
        "question_en": "How do I track my parcel?",
        "answer_en": """
As soon as a vendor ships your items, you get an email with the carrier's name, the tracking number (a link) and the estimated delivery date. Do check your spam folder.

The same details are in your account: **COMPTE**, then [[lien:orders:purchases|Mes achats]], the order, and its **Expéditions** (shipments) tab. Each parcel has its number there, such as "Colis 1/3" for a shipment in three parcels.

Tracking moves with the carrier's round; the carrier may also contact you by email, text or phone to arrange a time.
""",
    },
    {
        "topic": "livraison",
        "slug": "colis-abime-a-la-livraison",
        "rules": "ORD-5 SAV-1",
        "question_fr": "Le colis semble abîmé à la livraison : que faire ?",
        "answer_fr": """
Quand le livreur vous remet le colis, regardez l'emballage et, si possible, l'article. Si quelque chose ne va pas, vous pouvez **refuser le colis** : il repart chez le vendeur et vous êtes remboursé.

Si vous découvrez le problème après l'avoir accepté, ouvrez la commande dans [[lien:orders:purchases|Mes achats]] et cliquez sur **Signaler un problème** : décrivez ce que vous constatez, joignez des photos et choisissez la solution souhaitée. Gardez l'article et son emballage, et ne tentez pas de le réparer vous-même.
""",
        "question_en": "The parcel looks damaged on delivery: what should I do?",
        "answer_en": """
When the courier hands you the parcel, check the packaging and, if you can, the item. If something is wrong, you may **refuse the parcel**: it goes back to the vendor and you are refunded.

If you find the problem after accepting it, open the order in [[lien:orders:purchases|Mes achats]] and click **Signaler un problème** (report a problem): describe what you see, attach photos and choose the remedy you want. Keep the item and its packaging, and do not try to repair it yourself.
""",
    },
    # --- Moyens de paiement -------------------------------------------------------------------
    {
        "topic": "moyens-de-paiement",
        "slug": "moyens-de-paiement-acceptes",
        "rules": "CHK-7 PAY-1",
        "featured": True,
        "question_fr": "Quels moyens de paiement acceptez-vous ?",
        "answer_fr": """
Vous payez par carte bancaire **Visa** ou **MasterCard**. Les autres cartes (American Express notamment) ne sont pas acceptées.

Le paiement est traité par LemonWay, établissement de paiement agréé, et protégé par 3-D Secure. Vos numéros de carte ne sont jamais conservés par Les Alliés ni transmis aux vendeurs.

Votre commande n'est lancée qu'une fois le paiement reçu et validé. Vous recevez alors un email de confirmation avec la référence de votre commande (de la forme AL-…) : gardez-la, elle vous sera utile pour toute question.
""",
        "question_en": "Which payment methods do you accept?",
        "answer_en": """
You pay by **Visa** or **MasterCard** card. Other cards (American Express in particular) are not accepted.

Payment is handled by LemonWay, a licensed payment institution, and protected by 3-D Secure. Your card numbers are never kept by Les Alliés nor passed to vendors.

Your order only starts once the payment is received and validated. You then get a confirmation email with your order reference (like AL-…): keep it, it helps with any question.
""",
    },
    {
        "topic": "moyens-de-paiement",
        "slug": "3d-secure",
        "rules": "CHK-7",
        "question_fr": "Ma banque me demande de confirmer mon paiement : pourquoi ?",
        "answer_fr": """
C'est l'authentification 3-D Secure, une protection prévue par la réglementation européenne. Après avoir saisi votre carte, votre banque peut vous demander de confirmer l'achat :

- par un code reçu par SMS,
- ou dans son application (empreinte, reconnaissance faciale, code).

Une fois la confirmation réussie, le paiement est validé et votre commande lancée aussitôt. Si vous annulez ou si le code est faux, rien n'est débité : votre panier vous attend et vous pouvez réessayer.
""",
        "question_en": "My bank asks me to confirm the payment: why?",
        "answer_en": """
This is 3-D Secure authentication, a protection required by European rules. After you enter your card, your bank may ask you to confirm the purchase:

- with a code sent by text message,
- or in its app (fingerprint, face recognition, code).

Once confirmed, the payment is validated and your order starts straight away. If you cancel or the code is wrong, nothing is charged: your cart is still there and you can try again.
""",
    },
    {
        "topic": "moyens-de-paiement",
        "slug": "paiement-refuse",
        "rules": "CHK-7 CHK-8",
        "question_fr": "Mon paiement a été refusé : ma commande est-elle passée ?",
        "answer_fr": """
Non : une commande n'est validée qu'avec un paiement accepté. Un refus peut venir de votre banque (plafond atteint, carte expirée, authentification non confirmée) ou d'une carte qui n'est ni Visa ni MasterCard.

Vous pouvez réessayer avec la même carte ou une autre. Le stock d'une commande validée lui est réservé : deux clients ne peuvent jamais acheter la même dernière pièce.

Si le problème persiste, votre banque est la mieux placée pour vous dire pourquoi.
""",
        "question_en": "My payment was refused: has my order gone through?",
        "answer_en": """
No: an order is only validated with an accepted payment. A refusal may come from your bank (limit reached, expired card, authentication not confirmed) or from a card that is neither Visa nor MasterCard.

You can try again with the same card or another one. The stock of a validated order is reserved, so two customers can never buy the same last piece.

If the problem persists, your bank is best placed to tell you why.
""",
    },
    {
        "topic": "moyens-de-paiement",
        "slug": "obtenir-ma-facture",
        "rules": "INV-1 INV-2",
        "featured": True,
        "question_fr": "Comment obtenir ma facture ?",
        "answer_fr": """
Chaque vendeur établit la facture des articles qu'il vous a vendus : une commande passée chez deux vendeurs donne deux factures. Elle est disponible dès l'expédition, jamais pendant la préparation, et vous est aussi envoyée par email quand elle est émise.

Pour la télécharger, autant de fois que vous le souhaitez : **COMPTE**, [[lien:orders:purchases|Mes achats]], la commande, puis **Ma facture**.

- Si elle est prête, elle s'ouvre en PDF.
- Sinon, le vendeur est prévenu aussitôt et doit vous la fournir sous {{delai:facture}} (jours ouvrés, jours fériés exclus) ; vous la recevez par email.

Après un remboursement, un avoir est émis et se trouve au même endroit.
""",
        "question_en": "How do I get my invoice?",
        "answer_en": """
Each vendor issues the invoice for the items it sold you: an order from two vendors gives two invoices. It is available once shipped, never while being prepared, and is also emailed to you when issued.

To download it, as often as you like: **COMPTE**, [[lien:orders:purchases|Mes achats]], the order, then **Ma facture** (my invoice).

- If it is ready, it opens as a PDF.
- If not, the vendor is told at once and must provide it within {{delai:facture}} (working days, public holidays excluded); you receive it by email.

After a refund, a credit note is issued and found in the same place.
""",
    },
    {
        "topic": "moyens-de-paiement",
        "slug": "modifier-ma-facture",
        "rules": "INV-4 CHK-6",
        "question_fr": "Puis-je modifier l'adresse ou la langue de ma facture ?",
        "answer_fr": """
Au moment de commander, vous pouvez indiquer une adresse de facturation différente de l'adresse de livraison. Une fois la commande validée, l'adresse de facturation ne peut plus changer : la facture la reprend telle quelle.

Une correction reste possible si la facture n'est pas rédigée dans votre langue, car les règles sur la langue des factures dépendent du pays de l'acheteur. Demandez-la au vendeur depuis la commande, avec **Contacter le vendeur** et l'objet « Facture ».
""",
        "question_en": "Can I change my invoice's address or language?",
        "answer_en": """
At checkout, you may give a billing address different from the delivery address. Once the order is validated, the billing address can no longer change: the invoice shows it as it was.

A correction is still possible if the invoice is not written in your language, since the rules on an invoice's language depend on the buyer's country. Ask the vendor from the order, with **Contacter le vendeur** (contact the vendor) and the subject "Facture" (invoice).
""",
    },
    {
        "topic": "moyens-de-paiement",
        "slug": "code-de-reduction",
        "rules": "CHK-5",
        "question_fr": "Comment utiliser un code de réduction ?",
        "answer_fr": """
Saisissez votre code de réduction dans votre [[lien:cart:detail|panier]], au moment de le valider : les montants sont aussitôt recalculés.

Un code peut avoir des conditions : dates de validité, montant minimum d'achat, nombre d'utilisations, ou vendeurs concernés. S'il ne s'applique pas, un message vous dit pourquoi.
""",
        "question_en": "How do I use a discount code?",
        "answer_en": """
Enter your discount code in your [[lien:cart:detail|cart]] when you validate it: the amounts are recalculated at once.

A code may have conditions: validity dates, a minimum amount, a number of uses, or the vendors it applies to. If it does not apply, a message tells you why.
""",
    },
    # --- Retours et remboursements ------------------------------------------------------------
    {
        "topic": "retours-et-remboursements",
        "slug": "retractation",
        "rules": "RET-1 RET-2",
        "featured": True,
        "question_fr": "J'ai changé d'avis : comment retourner un article ?",
        "answer_fr": """
Vous avez {{delai:retractation}} à compter de la livraison pour exercer votre droit de rétractation. Passé ce délai, vous pouvez encore demander un retour, mais le vendeur peut le refuser.

1. Ouvrez la commande dans [[lien:orders:purchases|Mes achats]] et cliquez sur **Retourner des articles** (ou choisissez le motif « Retour ou rétractation » dans **Assistance en ligne**).
2. Choisissez les articles. La page vous indique si votre demande est une rétractation et jusqu'à quelle date.
3. **N'envoyez rien avant la réponse du vendeur** : un colis renvoyé trop tôt retarde, voire empêche, le traitement.
4. Le vendeur accepte par email, avec l'adresse de retour. Vous avez alors {{delai:renvoi}} pour renvoyer l'article.

Vous suivez votre retour depuis la commande et dans [[lien:support:threads|Mes demandes]].
""",
        "question_en": "I changed my mind: how do I return an item?",
        "answer_en": """
You have {{delai:retractation}} from delivery to exercise your right of withdrawal. After that you may still ask for a return, but the vendor may refuse it.

1. Open the order in [[lien:orders:purchases|Mes achats]] and click **Retourner des articles** (return items), or choose the reason "Retour ou rétractation" in **Assistance en ligne** (online help).
2. Choose the items. The page tells you whether your request is a withdrawal and until when.
3. **Send nothing before the vendor's answer**: a parcel sent too early delays, or even prevents, the handling.
4. The vendor accepts by email, with the return address. You then have {{delai:renvoi}} to send the item back.

You follow your return from the order and in [[lien:support:threads|Mes demandes]].
""",
    },
    {
        "topic": "retours-et-remboursements",
        "slug": "conditions-de-retour",
        "rules": "RET-3 RET-4",
        "question_fr": "Dans quel état dois-je renvoyer l'article ?",
        "answer_fr": """
L'article doit être **neuf, non utilisé**, dans son **emballage d'origine** et en bon état, de façon à pouvoir être revendu. À réception, le vendeur le contrôle puis :

- vous rembourse entièrement,
- ou vous rembourse en partie, en indiquant la raison de la retenue pour chaque article,
- ou refuse le retour s'il n'est pas conforme (l'article vous est alors renvoyé).

Renvoyez toujours votre colis **avec un numéro de suivi** et gardez le justificatif de dépôt : c'est votre preuve d'envoi. Sans suivi, un colis perdu ne peut pas être remboursé.
""",
        "question_en": "In what condition must I return the item?",
        "answer_en": """
The item must be **new and unused**, in its **original packaging** and in good condition, so that it can be sold again. On receipt, the vendor checks it and then:

- refunds you in full,
- or refunds you in part, giving the reason for each deduction,
- or refuses the return if it does not comply (the item is then sent back to you).

Always send your parcel **with a tracking number** and keep the drop-off receipt: it proves you sent it. Without tracking, a lost parcel cannot be refunded.
""",
    },
    {
        "topic": "retours-et-remboursements",
        "slug": "frais-de-retour",
        "rules": "RET-5",
        "question_fr": "Qui paie les frais de retour ?",
        "answer_fr": """
Pour une commande livrée en **France**, le retour est **gratuit** : une fois votre retour accepté, la page du retour vous propose un bon de retour prépayé à imprimer (PDF), à coller sur le colis avant de le déposer chez le transporteur. Certains vendeurs vous laissent aussi utiliser le transporteur de votre choix, avec un numéro de suivi.

Pour une commande livrée en **Belgique**, il n'y a pas de bon prépayé : vous renvoyez le colis avec le transporteur de votre choix, en indiquant son numéro de suivi sur la page du retour.

Pour un article abîmé, incomplet ou non conforme, le retour est toujours à la charge du vendeur (voir la question sur les articles défectueux).
""",
        "question_en": "Who pays for the return?",
        "answer_en": """
For an order delivered in **France**, returns are **free**: once your return is accepted, its page offers a prepaid return label to print (PDF) and stick on the parcel before dropping it with the carrier. Some vendors also let you use the carrier of your choice, with a tracking number.

For an order delivered in **Belgium**, there is no prepaid label: you send the parcel with the carrier of your choice and enter its tracking number on the return's page.

For a damaged, incomplete or non-conforming item, the return is always at the vendor's expense (see the question about faulty items).
""",
    },
    {
        "topic": "retours-et-remboursements",
        "slug": "remboursement",
        "rules": "RET-6",
        "featured": True,
        "question_fr": "Quand et comment serai-je remboursé ?",
        "answer_fr": """
Le vendeur vous rembourse une fois l'article reçu et vérifié (ou sur preuve de son envoi). Un email vous prévient dès que le remboursement est déclenché.

- L'argent revient sur la **carte utilisée pour payer**.
- Le remboursement intervient au plus tard {{delai:remboursement}} après votre demande de rétractation.
- Il comprend le prix des articles renvoyés et leur part des frais de livraison **standard** (un supplément Express reste à votre charge), moins la part d'une éventuelle réduction et les retenues justifiées par le vendeur.

Le délai d'apparition sur votre relevé dépend ensuite de votre banque.
""",
        "question_en": "When and how will I be refunded?",
        "answer_en": """
The vendor refunds you once the item is received and checked (or on proof that you sent it). An email tells you as soon as the refund is triggered.

- The money goes back to the **card you paid with**.
- The refund is made at the latest {{delai:remboursement}} after your withdrawal request.
- It covers the returned items' price and their share of the **standard** delivery fee (an Express surcharge stays yours), less their share of any discount and any deduction the vendor justified.

How soon it shows on your statement then depends on your bank.
""",
    },
    {
        "topic": "retours-et-remboursements",
        "slug": "echanger-un-article",
        "rules": "RET-1 ORD-4",
        "question_fr": "L'article ne me va pas : puis-je l'échanger contre une autre taille ?",
        "answer_fr": """
Un échange direct n'est pas proposé, car chaque article est vendu par un vendeur indépendant et le stock des tailles varie. Le plus rapide :

1. passez une nouvelle commande dans la bonne taille (une chemise en L plutôt qu'en M, par exemple) tant qu'elle est en stock ;
2. retournez l'article qui ne va pas avec **Retourner des articles** sur la commande : dans les {{delai:retractation}} qui suivent la livraison, c'est une rétractation et vous êtes remboursé.

Un doute sur une taille ou une coupe avant d'acheter ? **Posez une question** au vendeur depuis la page du produit.
""",
        "question_en": "The item doesn't fit: can I exchange it for another size?",
        "answer_en": """
Direct exchanges are not offered, since each item is sold by an independent vendor and the stock of each size varies. The quickest way:

1. place a new order in the right size (a shirt in L rather than M, say) while it is in stock;
2. send the one that does not fit back with **Retourner des articles** (return items) on the order: within {{delai:retractation}} of delivery it is a withdrawal and you are refunded.

Unsure about a size or fit before buying? Use **Posez une question** (ask a question) on the product page.
""",
    },
    {
        "topic": "retours-et-remboursements",
        "slug": "article-casse-incomplet-non-conforme",
        "rules": "SAV-1 SAV-2",
        "featured": True,
        "question_fr": "J'ai reçu un article cassé, incomplet ou non conforme",
        "answer_fr": """
Nous en sommes désolés. Ouvrez une demande de SAV et le vendeur s'en occupe :

1. Ouvrez la commande dans [[lien:orders:purchases|Mes achats]] et cliquez sur **Signaler un problème** (ou choisissez le motif correspondant dans **Assistance en ligne**).
2. Pour chaque article concerné, décrivez le problème et ajoutez des **photos** (obligatoires). Pour un colis incomplet, photographiez l'étiquette du colis et la notice qui montre la pièce manquante.
3. Choisissez la solution souhaitée : **Remplacement du produit**, **Remboursement** ou **Réception des pièces manquantes**.

Le vendeur vous répond sous {{delai:reclamation}} (jours ouvrés, jours fériés exclus) : surveillez vos emails, y compris les indésirables. D'ici là, gardez l'article et son emballage et ne le réparez pas vous-même.
""",
        "question_en": "I received a broken, incomplete or non-conforming item",
        "answer_en": """
We are sorry about that. Open an after-sales request and the vendor takes care of it:

1. Open the order in [[lien:orders:purchases|Mes achats]] and click **Signaler un problème** (report a problem), or choose the matching reason in **Assistance en ligne**.
2. For each item concerned, describe the problem and add **photos** (required). For an incomplete parcel, photograph the parcel's label and the instructions showing the missing part.
3. Choose the remedy you want: **Remplacement du produit** (replacement), **Remboursement** (refund) or **Réception des pièces manquantes** (missing parts).

The vendor answers within {{delai:reclamation}} (working days, public holidays excluded): watch your emails, spam included. Meanwhile keep the item and its packaging, and do not repair it yourself.
""",
    },
    {
        "topic": "retours-et-remboursements",
        "slug": "retour-article-defectueux",
        "rules": "SAV-3 SAV-4",
        "question_fr": "Comment se passe le retour d'un article défectueux ?",
        "answer_fr": """
Le retour est **aux frais du vendeur**. Selon ce qu'il propose, vous :

- imprimez un **bon de retour prépayé**, à coller sur le colis et à déposer en point relais ;
- ou choisissez une date d'**enlèvement à domicile** parmi celles qu'il propose.

Une fois l'article reçu et examiné, le vendeur le remplace, le répare, vous envoie les pièces manquantes (avec un suivi) ou vous rembourse. Si un défaut de fabrication est confirmé, la loi lui permet de préférer la réparation ou l'échange à un remboursement ; s'il ne peut faire ni l'un ni l'autre, il vous rembourse.

Si aucun défaut n'est constaté, un remboursement demandé peut être traité comme une rétractation, frais de retour déduits ; sinon l'article vous est renvoyé.
""",
        "question_en": "How does returning a faulty item work?",
        "answer_en": """
The return is **at the vendor's expense**. Depending on what it offers, you:

- print a **prepaid return label**, stick it on the parcel and drop it at a relay point;
- or pick a **home pickup** date among those it offers.

Once it has received and examined the item, the vendor replaces it, repairs it, sends the missing parts (tracked) or refunds you. If a manufacturing defect is confirmed, the law lets it prefer repair or exchange to a refund; if it can do neither, it refunds you.

If no defect is found, a refund you asked for may be handled as a withdrawal, return costs deducted; otherwise the item is sent back to you.
""",
    },
    # --- Autres questions ---------------------------------------------------------------------
    {
        "topic": "autres-questions",
        "slug": "contacter-le-service-client",
        "rules": "CS-1 CS-2 CS-3 CS-4",
        "featured": True,
        "question_fr": "Comment contacter le service client Les Alliés ?",
        "answer_fr": """
Pour une question sur une commande, écrivez d'abord au vendeur : c'est lui qui a vos articles. Ouvrez la commande dans [[lien:orders:purchases|Mes achats]], cliquez sur **Assistance en ligne**, choisissez un motif et écrivez votre message. Le vendeur répond sous {{delai:reponse_vendeur}}.

Pas de réponse, ou une réponse qui ne règle rien ? Dans [[lien:support:threads|Mes demandes]], répondez **Non** à la question « Votre demande est-elle en cours de traitement ou résolue ? ». Votre demande passe alors au service client Les Alliés, qui intervient sous {{delai:intervention}} au maximum.

Autres moyens de nous joindre :

- le **chat**, en bas à droite de l'écran, quand un conseiller est disponible ;
- le [[lien:support:contact|formulaire de contact]], pour toute demande, même sans compte ;
- l'email {{valeur:email_service_client}}.
""",
        "question_en": "How do I contact Les Alliés customer service?",
        "answer_en": """
For a question about an order, write to the vendor first: it has your items. Open the order in [[lien:orders:purchases|Mes achats]], click **Assistance en ligne** (online help), choose a reason and write your message. The vendor answers within {{delai:reponse_vendeur}}.

No answer, or one that solves nothing? In [[lien:support:threads|Mes demandes]], answer **Non** (no) to the question asking whether your request is being handled or resolved. It then goes to Les Alliés customer service, who step in within {{delai:intervention}} at most.

Other ways to reach us:

- the **chat**, bottom right of the screen, whenever an adviser is available;
- the [[lien:support:contact|contact form]], for any request, even without an account;
- email at {{valeur:email_service_client}}.
""",
    },
    {
        "topic": "autres-questions",
        "slug": "suivre-mes-demandes",
        "rules": "CS-1 CS-2 ACC-8",
        "question_fr": "Où suivre mes demandes aux vendeurs et au service client ?",
        "answer_fr": """
Toutes vos demandes sont réunies dans **[[lien:support:threads|Mes demandes]]** : questions avant achat, messages sur une commande, retours, réclamations et demandes envoyées par le formulaire de contact. Pour chacune, vous voyez où elle en est et jusqu'à quand le vendeur ou le service client doit répondre.

Vous pouvez aussi répondre directement à nos emails : votre réponse s'ajoute à la bonne demande, sans que le vendeur voie votre adresse email.
""",
        "question_en": "Where do I follow my requests to vendors and customer service?",
        "answer_en": """
All your requests are gathered in **[[lien:support:threads|Mes demandes]]** (my requests): pre-sale questions, messages about an order, returns, claims and requests sent through the contact form. For each one you see where it stands and by when the vendor or customer service must answer.

You can also reply straight to our emails: your reply joins the right request, and the vendor never sees your email address.
""",
    },
    {
        "topic": "autres-questions",
        "slug": "disponibilite-des-produits",
        "rules": "CAT-2",
        "question_fr": "Comment savoir si un produit est en stock ?",
        "answer_fr": """
Nos produits sont stockés chez les vendeurs, qui mettent eux-mêmes leur stock à jour. Chaque page produit indique la disponibilité de l'offre choisie :

- **En stock** : l'article part dans les délais de livraison annoncés ;
- **En cours de réapprovisionnement - Livré sous X semaines** : vous pouvez commander, l'article sera expédié à son retour en stock ;
- **En rupture de stock** : il ne peut pas être commandé pour le moment.

Un même produit peut être proposé par plusieurs vendeurs : si l'un est en rupture, un autre l'a peut-être en stock, à un autre prix.
""",
        "question_en": "How do I know whether a product is in stock?",
        "answer_en": """
Our products are stocked by the vendors, who update their stock themselves. Each product page shows the availability of the chosen offer:

- **En stock** (in stock): the item leaves within the delivery times shown;
- **En cours de réapprovisionnement - Livré sous X semaines** (restocking, delivered within X weeks): you can order, and the item ships once back in stock;
- **En rupture de stock** (out of stock): it cannot be ordered for now.

The same product may be offered by several vendors: if one is out of stock, another may have it, at another price.
""",
    },
]
