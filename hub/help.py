"""The command line's own words (``--help`` of every command and option), in French and English.

The language is chosen before any configuration is read: ``HUB_LANGUAGE``, else the
configuration's ``HUB_HUB__LANGUAGE`` override, else the system locale (``LC_ALL``,
``LC_MESSAGES``, ``LANG``); French when nothing says otherwise. Click's own headings ("Usage",
"Options", "Commands", the help option) are said in that language too.
"""

from __future__ import annotations

import click

from config.words import startup_language as startup_language  # the order is the config layer's
from sync.i18n import Catalogue

HELP = Catalogue({
    # Click adds the colon after a heading: French puts a space before it.
    "click.usage": {"fr": "Utilisation : ", "en": "Usage: "},
    "click.options": {"fr": "Options ", "en": "Options"},
    "click.commands": {"fr": "Commandes ", "en": "Commands"},
    "click.help": {"fr": "Afficher cette aide et quitter.", "en": "Show this message and exit."},
    "click.version": {"fr": "Afficher la version et quitter.", "en": "Show the version and exit."},
    "hub": {
        "fr": "Commons Hub : un seul programme, tenu à jour dans chaque outil du collectif.",
        "en": "Commons Hub: one programme, kept in step across every tool of the collective.",
    },
    "opt.debug": {
        "fr": "Tout journaliser (DEBUG), y compris le détail des erreurs inattendues.",
        "en": "Log everything (DEBUG), tracebacks of unexpected errors included.",
    },
    "opt.config": {
        "fr": "Fichier de configuration (par défaut : $HUB_CONFIG ou hub.toml).",
        "en": "Configuration file (default: $HUB_CONFIG or hub.toml).",
    },
    "opt.json": {"fr": "Afficher un seul objet JSON.", "en": "Print one JSON object."},
    "sync": {
        "fr": "Lire chaque source, fusionner, et propager les changements partout (une fois).",
        "en": "Pull every source, merge, and push the changes everywhere (once).",
    },
    "sync.full": {
        "fr": "Toujours faire la synchronisation complète, sans la vérification rapide qui conclut « rien à faire » "
              "quand ni la configuration, ni le fichier du programme, ni rien en attente n'a changé.",
        "en": "Always run the whole sync, without the quick check that says 'nothing to do' when neither the "
              "configuration, nor the programme file, nor anything waiting has changed.",
    },
    "sync.force_delete": {
        "fr": "Accepter comme voulue une disparition massive (et les changements en attente de relecture).",
        "en": "Accept a mass disappearance (and changes held for review) as intended.",
    },
    "plan": {
        "fr": "Montrer ce que ferait une synchronisation, et l'annonce qu'elle enverrait ; rien n'est écrit.",
        "en": "Show what a sync would change, and the announcement it would send; write nothing.",
    },
    "status": {
        "fr": "Les chiffres du dernier passage, la file d'envoi, les connecteurs en pause, les lots en "
              "attente de relecture et les messages incertains.",
        "en": "The last sync's figures, the outbox, held connectors, batches waiting for review and "
              "messages in doubt.",
    },
    "conflicts": {
        "fr": "Lister les modifications qui n'ont pas pu être fusionnées ; en résoudre une en choisissant un côté.",
        "en": "List edits that could not be merged; resolve one by choosing a side.",
    },
    "conflicts.resolve": {"fr": "Numéro du conflit à résoudre.", "en": "Conflict number to resolve."},
    "conflicts.keep": {
        "fr": "Avec --resolve : garder la valeur du hub (ours) ou celle du connecteur (theirs).",
        "en": "With --resolve: keep the hub's value (ours) or the connector's (theirs).",
    },
    "review": {
        "fr": "Lister les changements en attente de relecture (une modification massive d'un pad, par "
              "exemple) ; en accepter ou en refuser un. Accepter ou refuser lance aussitôt une "
              "synchronisation, pour que le résultat atteigne chaque canal.",
        "en": "List the changes held for review (a mass edit of a pad, say); accept or reject one. "
              "Accepting or rejecting runs a sync at once, so the outcome reaches every channel.",
    },
    "review.accept": {
        "fr": "Fusionner ce lot et le propager partout.",
        "en": "Merge this held batch and push it everywhere.",
    },
    "review.reject": {
        "fr": "Abandonner ce lot et réécrire le programme sur la source.",
        "en": "Drop this held batch and write the programme back over the source.",
    },
    "history": {
        "fr": "Quelle source a changé quel champ de quelle séance, passage par passage (en annuler un : "
              "hub revert N).",
        "en": "Which source changed which field of which session, run by run (undo one: hub revert N).",
    },
    "history.session": {"fr": "Seulement cette séance (son identifiant).", "en": "Only this session (its id)."},
    "history.since": {
        "fr": "Seulement les changements depuis : 2h, 3d, 30m, 2026-12-01 ou 2026-12-01T14:00.",
        "en": "Only changes since: 2h, 3d, 30m, 2026-12-01 or 2026-12-01T14:00.",
    },
    "history.limit": {"fr": "Au plus ce nombre, les plus récents.", "en": "At most this many, the newest."},
    "revert": {
        "fr": "Annuler un passage (son numéro dans `hub history`) : chaque séance qu'il a changée est "
              "rétablie, partout, avec une seule correction annoncée.",
        "en": "Undo one run (its number in `hub history`): every session it changed is put back, "
              "everywhere, with one correction announced.",
    },
    "check": {
        "fr": "Vérifier la configuration et le fichier de programme, puis joindre chaque connecteur.",
        "en": "Validate the configuration and the programme file, then reach every connector.",
    },
    "connector": {"fr": "Gérer un connecteur.", "en": "Manage one connector."},
    "connector.reset": {
        "fr": "Relancer un connecteur mis en pause après une limite de débit ou un CAPTCHA.",
        "en": "Release a connector held after a rate limit or CAPTCHA.",
    },
    "ask": {
        "fr": "Répondre à une question sur le programme comme le font les bots.",
        "en": "Answer a question about the programme the way the chat bots do.",
    },
    "ask.at": {"fr": "Le moment pris pour « maintenant » (2021-11-13T11:00).",
               "en": "The moment taken as 'now' (2021-11-13T11:00)."},
    "ask.lang": {"fr": "Langue de la réponse.", "en": "Answer language."},
    "ask.format": {
        "fr": "Format du canal : text (Signal), html (Telegram), markdown (Talk).",
        "en": "Channel format: text (Signal), html (Telegram), markdown (Talk).",
    },
    "ask.programme": {
        "fr": "Répondre d'après ce fichier de programme plutôt que du hub configuré.",
        "en": "Answer from this programme file instead of the configured hub.",
    },
    "ask.after": {
        "fr": "Une question posée juste avant dans la même discussion (répétable), pour essayer "
        "« et après ? » ou « c'est où ? ».",
        "en": "A question asked just before in the same conversation (repeatable), to try "
        "\"and after?\" or \"where is it?\".",
    },
    "pad": {"fr": "Les pads Etherpad à côté du pad du programme.", "en": "Etherpad pads beside the programme pad."},
    "pad.new": {
        "fr": "Créer un pad de compte rendu (ordre du jour, participants, décisions) et afficher son adresse.",
        "en": "Create a meeting-notes pad (agenda, participants, decisions) and print its URL.",
    },
    "pad.connector": {
        "fr": "Section du connecteur Etherpad (par défaut : la seule).",
        "en": "Etherpad connector section (default: the only one).",
    },
    "pad.lang": {"fr": "Langue du modèle.", "en": "Template language."},
    "poll": {
        "fr": "Les sondages Framadate : dates de réunion, inscriptions aux ateliers.",
        "en": "Framadate polls: meeting dates, workshop sign-ups.",
    },
    "poll.create": {
        "fr": "Créer un sondage et afficher son lien public.",
        "en": "Create a poll and print its public link.",
    },
    "poll.dates": {
        "fr": "Un sondage de dates ; clos, le créneau choisi devient une réunion (agenda, notes, visio, annonce).",
        "en": "A date poll; once closed, the chosen slot becomes a meeting (calendar, notes pad, visio, announcement).",
    },
    "poll.signup": {
        "fr": "Un sondage d'inscription : un choix par atelier du jour.",
        "en": "A sign-up poll: one choice per workshop of the day.",
    },
    "poll.slot": {
        "fr": "Un créneau proposé : 2021-10-05T18:00 ou 2021-10-05T18:00/19:30 (répéter).",
        "en": "A proposed slot: 2021-10-05T18:00 or 2021-10-05T18:00/19:30 (repeat).",
    },
    "poll.until": {
        "fr": "Date de clôture (2021-10-01 ou 2021-10-01T12:00) ; ensuite hub poll status clôt le sondage.",
        "en": "Closing date (2021-10-01 or 2021-10-01T12:00); after it, hub poll status closes the poll.",
    },
    "poll.day": {"fr": "Le jour du programme (2021-11-13).", "en": "The programme day (2021-11-13)."},
    "poll.kind": {
        "fr": "Types de séances proposés (workshop par défaut ; répéter).",
        "en": "Session kinds offered (workshop by default; repeat).",
    },
    "poll.title": {"fr": "Titre du sondage.", "en": "The poll's title."},
    "poll.description": {"fr": "Texte affiché sous le titre.", "en": "Text shown under the title."},
    "poll.announce": {
        "fr": "Annoncer le lien dans les discussions de announce_to.",
        "en": "Announce the link in the chats of announce_to.",
    },
    "poll.connector": {
        "fr": "La section framadate à utiliser, s'il y en a plusieurs.",
        "en": "The framadate section to use, when there are several.",
    },
    "poll.status": {
        "fr": "Les réponses de chaque sondage (ou de POLL) ; clôt les sondages échus, signale les ateliers pleins.",
        "en": "Each poll's answers (or POLL's); closes polls past their date, flags over-full workshops.",
    },
    "poll.close": {
        "fr": "Clore un sondage de dates maintenant : le meilleur créneau devient une réunion.",
        "en": "Close a date poll now: the best slot becomes a meeting.",
    },
    "export": {
        "fr": "Écrire le programme tel que le hub le tient après la dernière synchronisation : "
              "en YAML (le format du fichier de programme), en ICS ou en JSON frab.",
        "en": "Write the programme as the hub holds it after the last sync: as YAML (the "
              "programme file's format), ICS or frab JSON.",
    },
    "export.format": {
        "fr": "yaml, ics ou json ; par défaut selon l'extension de --output, sinon yaml.",
        "en": "yaml, ics or json; by default from the --output extension, else yaml.",
    },
    "export.output": {"fr": "Fichier à écrire (par défaut : la sortie standard).",
                      "en": "File to write (default: standard output)."},
    "bots": {
        "fr": "Faire tourner les bots (Telegram, Signal, Talk) au premier plan jusqu'à Ctrl-C.",
        "en": "Run the chat bots (Telegram, Signal, Talk) in the foreground until Ctrl-C.",
    },
    "daemon": {
        "fr": "Tout tenir à jour en continu : sondages des sources, synchronisations, file d'envoi, bots, "
              "webhooks, /healthz, /readyz et /metrics. SIGTERM arrête proprement, SIGHUP relit la configuration.",
        "en": "Keep everything current by itself: source probes, syncs, the outbox, the bots, webhooks, "
              "/healthz, /readyz and /metrics. SIGTERM stops cleanly, SIGHUP reads the configuration again.",
    },
    "daemon.listen": {
        "fr": "HÔTE:PORT du serveur web (par défaut [daemon] listen, 127.0.0.1:8765).",
        "en": "HOST:PORT of the web server (default [daemon] listen, 127.0.0.1:8765).",
    },
    "init": {
        "fr": "Assistant de configuration : demande les adresses et identifiants de vos outils, trouve le reste, "
              "écrit hub.toml et les secrets, puis lance hub check. Relancé, il ajoute des canaux.",
        "en": "Set-up wizard: asks your tools' addresses and logins, finds the rest, writes hub.toml and the "
              "secrets, then runs hub check. Run again, it adds channels.",
    },
    "init.answers": {
        "fr": "Fichier TOML de réponses (scripts, tests) ; ce qu'il ne dit pas est demandé au terminal.",
        "en": "TOML file of answers (scripts, tests); what it does not say is asked at the terminal.",
    },
})


LANGUAGE = startup_language()


def h(key: str) -> str:
    """A help text in the start-up language."""
    return HELP.say(key, LANGUAGE)


class HubCommand(click.Command):
    """A command whose help headings are said in the start-up language."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=h("click.usage"))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [rv for p in self.get_params(ctx)
                if not isinstance(p, click.Argument) and (rv := p.get_help_record(ctx)) is not None]
        if rows:
            with formatter.section(h("click.options")):
                formatter.write_dl(rows)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = h("click.help")
        return option


class HubGroup(HubCommand, click.Group):
    """A group of commands, its own help and its commands' said the same way."""

    command_class = HubCommand

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        HubCommand.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, cmd) for name in self.list_commands(ctx)
                    if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _cmd in commands)
            with formatter.section(h("click.commands")):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in commands])


HubGroup.group_class = HubGroup
