"""aiosmtpd's Controller on 127.0.0.1, port 0, for e-mail tests."""

from __future__ import annotations

from aiosmtpd.controller import Controller


class PortZeroController(Controller):
    """aiosmtpd's Controller bound to port 0: read back the port the OS chose."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
