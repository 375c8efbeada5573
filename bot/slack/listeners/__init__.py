"""Bolt listeners, one module per kind of request, each with a `register(app, services)`."""

from slack_bolt import App

from bot.slack.listeners import actions, command, home
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    command.register(app, services)
    actions.register(app, services)
    home.register(app, services)
