"""Every word ``hub init`` says, French first: each question, its help text, and what it tells.

A question's key is also where an answers file gives its answer (``caldav.url`` is ``url`` under
``[caldav]``); ``<key>.help`` is shown above the prompt at the terminal, and quoted when an
answers file lacks it.
"""

from __future__ import annotations

from sync.i18n import Catalogue

MESSAGES = Catalogue({
    # --- asking -------------------------------------------------------------------------------
    "answers.unreadable": {"fr": "fichier de réponses {file} illisible : {reason}",
                           "en": "answers file {file} cannot be read: {reason}"},
    "answers.missing": {
        "fr": "{file} : pas de réponse pour « {key} » et personne au terminal pour la donner. Aide : {help}",
        "en": "{file}: no answer for '{key}' and nobody at a terminal to give it. Help: {help}",
    },
    "answers.refused": {"fr": "{file} : réponse refusée pour « {key} » : {reason}",
                        "en": "{file}: answer refused for '{key}': {reason}"},
    "answer.refused": {"fr": "Réponse refusée : {reason}. Essayez encore.",
                       "en": "Answer refused: {reason}. Try again."},
    "answer.empty": {"fr": "une réponse est nécessaire", "en": "an answer is needed"},
    "answer.yes_no": {"fr": "répondez oui ou non", "en": "answer yes or no"},
    "answer.not_an_option": {"fr": "« {answer} » n'est pas dans la liste (un numéro, ou : {options})",
                             "en": "'{answer}' is not in the list (a number, or: {options})"},
    "answer.not_url": {"fr": "« {answer} » n'est pas une adresse web (https://…)",
                       "en": "'{answer}' is not a web address (https://…)"},
    "answer.not_a_name": {"fr": "« {answer} » ne donne pas de nom utilisable (lettres ou chiffres)",
                          "en": "'{answer}' gives no usable name (letters or digits)"},
    "answer.not_date": {"fr": "« {answer} » n'est pas une date AAAA-MM-JJ",
                        "en": "'{answer}' is not a YYYY-MM-DD date"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    "nobody": {"fr": "personne", "en": "nobody"},
    "aborted": {"fr": "Interrompu : rien n'a été écrit.", "en": "Interrupted: nothing was written."},
    "proved": {"fr": "  ✓ {name} : {detail}", "en": "  ✓ {name}: {detail}"},
    # --- the wizard ---------------------------------------------------------------------------
    "hub.language": {"fr": "Langue / Language", "en": "Language / Langue"},
    "hub.language.help": {
        "fr": "La langue des questions, des annonces et des réponses des bots (fr ou en).",
        "en": "The language of these questions, of the announcements and of the bots' answers (fr or en).",
    },
    "welcome": {
        "fr": "Configuration du hub dans {folder}. Chaque question dit ce qu'elle attend ; rien n'est écrit "
              "avant la fin.",
        "en": "Setting up the hub in {folder}. Each question says what it expects; nothing is written before "
              "the end.",
    },
    "exists": {"fr": "Une configuration existe déjà : {path} (canaux : {sections}).",
               "en": "A configuration is already there: {path} (channels: {sections})."},
    "hub.add": {"fr": "Y ajouter des canaux ?", "en": "Add channels to it?"},
    "hub.add.help": {
        "fr": "Les canaux choisis sont ajoutés à la fin du fichier ; rien de ce qui s'y trouve n'est modifié.",
        "en": "The channels you pick are added at the end of the file; nothing already in it is changed.",
    },
    "nothing_done": {"fr": "Rien n'a été modifié.", "en": "Nothing was changed."},
    "config.unreadable": {"fr": "{path} illisible ({reason}) : corrigez-le avant d'y ajouter des canaux",
                          "en": "{path} cannot be read ({reason}): fix it before adding channels"},
    "hub.programme": {"fr": "Fichier du programme", "en": "Programme file"},
    "hub.programme.help": {
        "fr": "Le fichier YAML (ou JSON frab/pretalx) de votre programme, relatif à ce dossier. "
              "S'il n'existe pas encore, un premier fichier sera écrit à partir du titre et de la date.",
        "en": "Your programme's YAML file (or frab/pretalx JSON), relative to this folder. If it does not "
              "exist yet, a first one is written from the event's title and date.",
    },
    "hub.starter": {"fr": "{path} n'existe pas : en écrire un premier ?",
                    "en": "{path} does not exist: write a first one?"},
    "hub.starter.help": {
        "fr": "Un programme minimal (l'événement et son premier jour, sans séance) que vous compléterez.",
        "en": "A minimal programme (the event and its first day, no session yet) for you to fill in.",
    },
    "programme.absent": {"fr": "{path} n'existe pas", "en": "{path} does not exist"},
    "hub.event": {"fr": "Titre de l'événement", "en": "Event title"},
    "hub.event.help": {"fr": "Par exemple : Assemblée des communs.", "en": "For instance: Commons Assembly."},
    "hub.first_day": {"fr": "Premier jour (AAAA-MM-JJ)", "en": "First day (YYYY-MM-DD)"},
    "hub.first_day.help": {"fr": "La date du premier jour de l'événement.", "en": "The date of the event's first day."},
    "hub.timezone": {"fr": "Fuseau horaire", "en": "Time zone"},
    "hub.timezone.help": {"fr": "Le fuseau de l'événement, au format Europe/Paris.",
                          "en": "The event's time zone, as Europe/Paris."},
    "programme.starter": {"fr": "Premier programme écrit : {path}", "en": "First programme written: {path}"},
    "programme.read": {"fr": "Programme lu : « {title} », {sessions} séances.",
                       "en": "Programme read: “{title}”, {sessions} sessions."},
    "hub.tools": {"fr": "Outils du collectif (numéros séparés par des espaces)",
                  "en": "The collective's tools (numbers separated by spaces)"},
    "hub.tools.help": {
        "fr": "Choisissez chaque outil où le programme doit paraître ; pour chacun, l'assistant demandera "
              "seulement une adresse et un identifiant, et trouvera le reste.",
        "en": "Pick every tool the programme should appear in; for each, the wizard asks only an address "
              "and a login, and finds the rest.",
    },
    "tool.nextcloud": {"fr": "Nextcloud (agenda, dossier partagé, Talk)",
                       "en": "Nextcloud (calendar, shared folder, Talk)"},
    "tool.caldav": {"fr": "Agenda CalDAV (Radicale, Xandikos, SOGo…)",
                    "en": "CalDAV calendar (Radicale, Xandikos, SOGo…)"},
    "tool.etherpad": {"fr": "Pad Etherpad / Framapad", "en": "Etherpad / Framapad pad"},
    "tool.wordpress": {"fr": "Site WordPress", "en": "WordPress site"},
    "tool.telegram": {"fr": "Groupe Telegram", "en": "Telegram group"},
    "tool.signal": {"fr": "Groupe Signal", "en": "Signal group"},
    "tool.humhub": {"fr": "Espace HumHub", "en": "HumHub space"},
    "tool.framadate": {"fr": "Sondages Framadate", "en": "Framadate polls"},
    "tool.files": {"fr": "Exports (ICS, JSON, page HTML) dans un dossier",
                   "en": "Exports (ICS, JSON, HTML page) to a folder"},
    "tool.start": {"fr": "\n— {tool} —", "en": "\n— {tool} —"},
    "written": {"fr": "\nÉcrit : {path} ({n} canaux ajoutés ; les secrets sont dans secrets/, lisibles par vous seul).",
                "en": "\nWritten: {path} ({n} channels added; the secrets are in secrets/, readable by you only)."},
    "checking": {"fr": "\nVérification (hub check) :", "en": "\nChecking (hub check):"},
    "next": {
        "fr": "\nEnsuite :\n  hub plan --config {config}    ce que la première synchronisation ferait\n"
              "  hub sync --config {config}    la faire\n"
              "  hub daemon --config {config}  tout tenir à jour en continu (ou : docker compose up -d)",
        "en": "\nNext:\n  hub plan --config {config}    what the first sync would do\n"
              "  hub sync --config {config}    do it\n"
              "  hub daemon --config {config}  keep everything current (or: docker compose up -d)",
    },
    "typed": {"fr": "({prompts} questions, {typed} caractères tapés)",
              "en": "({prompts} questions, {typed} characters typed)"},
    "toml.head": {"fr": "Écrit par hub init ; chaque réglage est décrit dans le README.",
                  "en": "Written by hub init; every setting is described in the README."},
    "toml.programme": {"fr": "le fichier du programme : une source comme les autres",
                       "en": "the programme file: a source like any other"},
    "toml.database": {"fr": "l'état du hub (ou postgresql://…)", "en": "the hub's state (or postgresql://…)"},
    "toml.language": {"fr": "annonces et messages", "en": "announcements and messages"},
    "owns.calendar": {"fr": "champs qu'une modification dans l'agenda peut changer",
                      "en": "fields an edit in the calendar may change"},
    "owns.pad": {"fr": "champs qu'une modification dans le pad peut changer",
                 "en": "fields an edit in the pad may change"},
    "review.mass": {"fr": "un changement massif attend « hub review »", "en": "a mass change waits for 'hub review'"},
    "review.deletions": {"fr": "pad public : toute séance retirée attend « hub review »",
                         "en": "public pad: any session removed waits for 'hub review'"},
    # --- Nextcloud ----------------------------------------------------------------------------
    "nextcloud.url": {"fr": "Adresse du Nextcloud", "en": "Nextcloud address"},
    "nextcloud.url.help": {
        "fr": "L'adresse de votre Nextcloud, comme https://nuage.example.org ; vous vous connecterez ensuite "
              "dans votre navigateur (aucun mot de passe à taper ici).",
        "en": "Your Nextcloud's address, like https://cloud.example.org; you then log in in your browser "
              "(no password to type here).",
    },
    "nextcloud.open": {
        "fr": "Ouvrez ce lien dans votre navigateur, connectez-vous avec le compte du hub et accordez l'accès :\n"
              "  {link}\nLe hub attend votre accord…",
        "en": "Open this link in your browser, log in with the hub's account and grant access:\n"
              "  {link}\nThe hub waits for your approval…",
    },
    "nextcloud.granted": {"fr": "Accès accordé pour « {user} » (mot de passe d'application rangé dans secrets/).",
                          "en": "Access granted for “{user}” (app password kept in secrets/)."},
    "nextcloud.not_granted": {"fr": "l'accès n'a pas été accordé à temps ; recommencez",
                              "en": "access was not granted in time; start again"},
    "nextcloud.calendar": {"fr": "Agenda du programme", "en": "Programme calendar"},
    "nextcloud.calendar.help": {
        "fr": "Un numéro de la liste, ou le nom d'un nouvel agenda à créer.",
        "en": "A number from the list, or the name of a new calendar to create.",
    },
    "nextcloud.talk_room": {"fr": "Conversation Talk où annoncer", "en": "Talk conversation to announce in"},
    "nextcloud.talk_room.help": {
        "fr": "Les conversations du compte ; le hub y annonce les changements et y répond aux questions.",
        "en": "The account's conversations; the hub announces changes there and answers questions.",
    },
    "nextcloud.no_room": {"fr": "aucune", "en": "none"},
    "nextcloud.folder": {"fr": "Dossier des exports dans Nextcloud", "en": "Exports folder in Nextcloud"},
    "nextcloud.folder.help": {
        "fr": "Un dossier du compte (partagé avec le collectif) ; créé à la première synchronisation s'il "
              "n'existe pas.",
        "en": "A folder of the account (shared with the collective); created by the first sync if missing.",
    },
    "nextcloud.title": {"fr": "Nextcloud : agenda « {name} », exports dans un dossier partagé (et Talk)",
                        "en": "Nextcloud: calendar “{name}”, exports in a shared folder (and Talk)"},
    "nextcloud.calendar.comment": {"fr": "« {name} », trouvé par hub init", "en": "“{name}”, found by hub init"},
    "nextcloud.talk_room.comment": {"fr": "jeton de la conversation Talk", "en": "the Talk conversation's token"},
    "nextcloud.folder.comment": {"fr": "dossier des exports", "en": "the exports' folder"},
    # --- CalDAV -------------------------------------------------------------------------------
    "caldav.url": {"fr": "Adresse du serveur d'agenda", "en": "Calendar server address"},
    "caldav.url.help": {
        "fr": "L'adresse de votre serveur CalDAV, comme https://agenda.example.org (les agendas y seront "
              "trouvés ; pas besoin de l'adresse d'un agenda).",
        "en": "Your CalDAV server's address, like https://calendar.example.org (its calendars are found "
              "there; no need for a calendar's own address).",
    },
    "caldav.username": {"fr": "Identifiant", "en": "Login"},
    "caldav.username.help": {"fr": "Le compte avec lequel le hub écrira les événements.",
                             "en": "The account the hub writes the events with."},
    "caldav.password": {"fr": "Mot de passe", "en": "Password"},
    "caldav.password.help": {"fr": "Le mot de passe de ce compte (il ne s'affiche pas ; il sera rangé dans secrets/).",
                             "en": "That account's password (not shown; it is kept in secrets/)."},
    "calendar.list": {"fr": "Agendas de ce compte :", "en": "This account's calendars:"},
    "calendar.none": {"fr": "Ce compte n'a pas encore d'agenda.", "en": "This account has no calendar yet."},
    "caldav.calendar": {"fr": "Agenda du programme", "en": "Programme calendar"},
    "caldav.calendar.help": {
        "fr": "Un numéro de la liste, ou le nom d'un nouvel agenda à créer.",
        "en": "A number from the list, or the name of a new calendar to create.",
    },
    "calendar.created": {"fr": "Agenda « {name} » créé : {url}", "en": "Calendar “{name}” created: {url}"},
    "caldav.title": {"fr": "Agenda « {name} » : une séance = un événement",
                     "en": "Calendar “{name}”: one event per session"},
    "caldav.url.comment": {"fr": "l'adresse de l'agenda, trouvée par hub init",
                           "en": "the calendar's address, found by hub init"},
    # --- Etherpad -----------------------------------------------------------------------------
    "etherpad.url": {"fr": "Adresse de l'Etherpad", "en": "Etherpad address"},
    "etherpad.url.help": {
        "fr": "L'adresse de l'instance, comme https://pad.example.org (sans le nom d'un pad).",
        "en": "The instance's address, like https://pad.example.org (without a pad's name).",
    },
    "etherpad.api_key": {"fr": "Clé d'API", "en": "API key"},
    "etherpad.api_key.help": {
        "fr": "La clé d'API de l'instance : le fichier APIKEY.txt à la racine d'Etherpad (demandez-la à "
              "qui l'héberge).",
        "en": "The instance's API key: the APIKEY.txt file at Etherpad's root (ask whoever hosts it).",
    },
    "etherpad.client_secret": {"fr": "Secret du client OAuth", "en": "OAuth client secret"},
    "etherpad.client_secret.help": {
        "fr": "Le secret du client déclaré dans sso.clients (Etherpad 2.x).",
        "en": "The secret of the client declared in sso.clients (Etherpad 2.x).",
    },
    "etherpad.pad": {"fr": "Nom du pad du programme", "en": "Programme pad name"},
    "etherpad.pad.help": {
        "fr": "Un pad existant est repris ; sinon il est créé et rempli à partir du programme à la première "
              "synchronisation.",
        "en": "An existing pad is adopted; otherwise it is created and filled from the programme at the "
              "first sync.",
    },
    "etherpad.bad_pad": {"fr": "un nom de pad compte 1 à {max} caractères, sans $ / ? & # ni espace",
                         "en": "a pad name has 1 to {max} characters, none of $ / ? & # or space"},
    "etherpad.create": {"fr": "Le pad « {pad} » sera créé et rempli à la première synchronisation.",
                        "en": "Pad “{pad}” will be created and filled at the first sync."},
    "etherpad.adopt": {"fr": "Le pad « {pad} » existe : il est repris.", "en": "Pad “{pad}” exists: it is adopted."},
    "etherpad.title": {"fr": "Pad du programme : modifiable par tous", "en": "Programme pad: anyone may edit it"},
    "etherpad.pad.comment": {"fr": "le pad du programme", "en": "the programme pad"},
    "etherpad.oauth.comment": {"fr": "client OAuth (Etherpad 2.x)", "en": "OAuth client (Etherpad 2.x)"},
    # --- WordPress ----------------------------------------------------------------------------
    "wordpress.url": {"fr": "Adresse du site WordPress", "en": "WordPress site address"},
    "wordpress.url.help": {"fr": "L'adresse du site, comme https://assemblee.example.org.",
                           "en": "The site's address, like https://assemblee.example.org."},
    "wordpress.username": {"fr": "Identifiant WordPress", "en": "WordPress login"},
    "wordpress.username.help": {
        "fr": "Un compte Éditeur (ou Administrateur) : il faut publier des pages et des articles.",
        "en": "An Editor (or Administrator) account: it must publish pages and posts.",
    },
    "wordpress.password": {"fr": "Mot de passe d'application", "en": "Application password"},
    "wordpress.password.help": {
        "fr": "Pas le mot de passe du compte : un mot de passe d'application, créé sur {link} "
              "(« Mots de passe d'application », nom : Commons Hub).",
        "en": "Not the account's password: an application password, made at {link} "
              "(“Application Passwords”, name: Commons Hub).",
    },
    "wordpress.page": {"fr": "Adresse (slug) de la page du programme", "en": "Programme page slug"},
    "wordpress.page.help": {
        "fr": "La page tenue à jour sera <site>/<slug>/ ; une page existante de ce slug est reprise.",
        "en": "The page kept current is <site>/<slug>/; an existing page with this slug is adopted.",
    },
    "wordpress.title": {"fr": "Site WordPress : la page du programme et un article par changement",
                        "en": "WordPress site: the programme page and one post per change"},
    "wordpress.page.comment": {"fr": "slug de la page du programme", "en": "slug of the programme page"},
    # --- Telegram -----------------------------------------------------------------------------
    "telegram.token": {"fr": "Jeton du bot", "en": "Bot token"},
    "telegram.token.help": {
        "fr": "Dans Telegram, écrivez à @BotFather : /newbot, puis copiez le jeton qu'il donne "
              "(123456789:AA…).",
        "en": "In Telegram, write to @BotFather: /newbot, then copy the token it gives (123456789:AA…).",
    },
    "telegram.token_shape": {"fr": "un jeton de bot ressemble à 123456789:AA… (copiez-le en entier)",
                             "en": "a bot token looks like 123456789:AA… (copy it whole)"},
    "telegram.add_bot": {
        "fr": "Ajoutez @{bot} à votre groupe, puis écrivez /start dans le groupe (chaque personne qui "
              "pourra commander le bot peut aussi écrire /start).",
        "en": "Add @{bot} to your group, then write /start in the group (each person who may command the "
              "bot can write /start too).",
    },
    "telegram.ready": {"fr": "Appuyez sur Entrée une fois /start écrit", "en": "Press Enter once /start is written"},
    "telegram.ready.help": {"fr": "Le hub lira alors les messages reçus par le bot.",
                            "en": "The hub then reads the messages the bot received."},
    "telegram.ready.default": {"fr": "ok", "en": "ok"},
    "telegram.nothing_yet": {"fr": "@{bot} n'a encore reçu aucun message : ajoutez-le au groupe et écrivez /start",
                             "en": "@{bot} has received no message yet: add it to the group and write /start"},
    "telegram.chats": {"fr": "Groupes où annoncer (numéros)", "en": "Groups to announce in (numbers)"},
    "telegram.chats.help": {"fr": "Les discussions qui ont écrit au bot ; le hub n'écrit que dans celles choisies.",
                            "en": "The chats that wrote to the bot; the hub writes only in those you pick."},
    "telegram.admins": {"fr": "Qui peut commander le bot (/sync, /annonce) ?",
                        "en": "Who may command the bot (/sync, /annonce)?"},
    "telegram.admins.help": {
        "fr": "Les personnes qui ont écrit au bot ; par défaut celles qui ont écrit /start.",
        "en": "The people who wrote to the bot; by default those who wrote /start.",
    },
    "telegram.title": {"fr": "Telegram : annonces et programme épinglé",
                       "en": "Telegram: announcements and a pinned programme"},
    "telegram.chats.comment": {"fr": "trouvés par hub init", "en": "found by hub init"},
    "telegram.admins.comment": {"fr": "identifiants numériques, jamais des @noms",
                                "en": "numeric ids, never @usernames"},
    # --- Signal -------------------------------------------------------------------------------
    "signal.url": {"fr": "Adresse de signal-cli-rest-api", "en": "signal-cli-rest-api address"},
    "signal.url.help": {
        "fr": "Le service qui parle à Signal pour le hub (bbernhard/signal-cli-rest-api, mode json-rpc).",
        "en": "The service that talks to Signal for the hub (bbernhard/signal-cli-rest-api, json-rpc mode).",
    },
    "signal.account": {"fr": "Compte Signal du hub", "en": "The hub's Signal account"},
    "signal.account.help": {
        "fr": "Un numéro déjà enregistré sur ce service, ou « lier » : votre téléphone scannera un code QR "
              "et le hub écrira comme un appareil lié.",
        "en": "A number already on this service, or “link”: your phone scans a QR code and the hub writes "
              "as a linked device.",
    },
    "signal.link_new": {"fr": "lier un nouvel appareil (code QR)", "en": "link a new device (QR code)"},
    "signal.scan": {
        "fr": "Sur votre téléphone : Signal → Réglages → Appareils liés → +, puis scannez ce code :",
        "en": "On your phone: Signal → Settings → Linked devices → +, then scan this code:",
    },
    "signal.linked": {"fr": "Appareil lié : {number}", "en": "Device linked: {number}"},
    "signal.not_scanned": {"fr": "le code QR n'a pas été scanné à temps ; recommencez",
                           "en": "the QR code was not scanned in time; start again"},
    "signal.groups": {"fr": "Groupes où annoncer (numéros)", "en": "Groups to announce in (numbers)"},
    "signal.groups.help": {"fr": "Les groupes de ce compte ; le hub n'écrit que dans ceux choisis.",
                           "en": "This account's groups; the hub writes only in those you pick."},
    "signal.members": {"fr": "{n} membres", "en": "{n} members"},
    "signal.no_group": {"fr": "{number} n'est dans aucun groupe : ajoutez-le à votre groupe depuis un téléphone",
                        "en": "{number} is in no group: add it to your group from a phone"},
    "signal.ready": {"fr": "Appuyez sur Entrée une fois le compte ajouté au groupe",
                     "en": "Press Enter once the account is in the group"},
    "signal.ready.help": {"fr": "Les groupes seront lus à nouveau.", "en": "The groups are read again."},
    "signal.title": {"fr": "Signal : annonces et programme du jour",
                     "en": "Signal: announcements and the day's programme"},
    "signal.number.comment": {"fr": "le compte du hub", "en": "the hub's account"},
    "signal.groups.comment": {"fr": "trouvés par hub init", "en": "found by hub init"},
    # --- HumHub -------------------------------------------------------------------------------
    "humhub.url": {"fr": "Adresse du réseau HumHub", "en": "HumHub network address"},
    "humhub.url.help": {"fr": "L'adresse du réseau, comme https://reseau.example.org.",
                        "en": "The network's address, like https://network.example.org."},
    "humhub.token": {"fr": "Jeton d'accès de l'API", "en": "API access token"},
    "humhub.token.help": {
        "fr": "Un jeton « Bearer » du module REST API : {link} (Administration → Modules → REST API), "
              "pour le compte du hub, membre de l'espace.",
        "en": "A Bearer token of the REST API module: {link} (Administration → Modules → REST API), for "
              "the hub's account, a member of the space.",
    },
    "humhub.space": {"fr": "Espace du programme", "en": "Programme space"},
    "humhub.space.help": {"fr": "Les espaces que ce compte voit ; le hub publie dans celui choisi.",
                          "en": "The spaces this account sees; the hub publishes in the one you pick."},
    "humhub.title": {"fr": "HumHub : l'agenda de l'espace et un message par changement",
                     "en": "HumHub: the space's calendar and one post per change"},
    "humhub.space.comment": {"fr": "nom d'URL de l'espace (/s/<nom>/)", "en": "the space's URL name (/s/<name>/)"},
    # --- Framadate ----------------------------------------------------------------------------
    "framadate.url": {"fr": "Adresse de l'instance Framadate", "en": "Framadate instance address"},
    "framadate.url.help": {
        "fr": "Framadate n'a ni compte ni API : les sondages sont créés par « hub poll create ».",
        "en": "Framadate has no account and no API: polls are made by 'hub poll create'.",
    },
    "framadate.admin_email": {"fr": "Adresse e-mail des organisateurs", "en": "The organisers' e-mail address"},
    "framadate.admin_email.help": {
        "fr": "La plupart des instances y envoient le lien d'administration de chaque sondage.",
        "en": "Most instances send each poll's admin link there.",
    },
    "framadate.admin_email.comment": {"fr": "reçoit les liens d'administration", "en": "receives the admin links"},
    "framadate.title": {"fr": "Framadate : sondages de dates et inscriptions",
                        "en": "Framadate: date polls and sign-ups"},
    # --- exports ------------------------------------------------------------------------------
    "files.path": {"fr": "Dossier des exports", "en": "Exports folder"},
    "files.path.help": {
        "fr": "Où écrire programme.ics, programme.json et index.html (relatif à ce dossier).",
        "en": "Where programme.ics, programme.json and index.html are written (relative to this folder).",
    },
    "files.title": {"fr": "Exports : ICS, JSON frab et page HTML", "en": "Exports: ICS, frab JSON and an HTML page"},
    "files.path.comment": {"fr": "relatif à ce fichier", "en": "relative to this file"},
})
