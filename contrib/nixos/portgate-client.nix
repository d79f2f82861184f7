# SPDX-License-Identifier: GPL-2.0-or-later
# NixOS module for portgate-client (written against the options of the
# proton-port-sync module it replaces; not tested here: no NixOS in CI).
# Usage: imports = [ ./portgate-client.nix ]; services.portgate-client = { ... };
{ config, lib, pkgs, ... }:
let
  cfg = config.services.portgate-client;
  yaml = pkgs.writeText "portgate-client.yaml" (''
    interface: ${cfg.interface}
    lifetime: ${toString cfg.lifetime}
    renew_every: ${toString cfg.renewInterval}
    port_file: /run/portgate-client/forwarded_port
  '' + lib.optionalString (cfg.gateway != null) ''
    gateway: ${cfg.gateway}
  '' + lib.optionalString cfg.qbittorrent.enable ''
    qbittorrent:
      url: ${cfg.qbittorrent.url}
      username: ${cfg.qbittorrent.username}
      password_file: credential:qbittorrent.pass
  '' + lib.optionalString cfg.recovery.enable ''
    recovery:
      command: ${pkgs.systemd}/bin/systemctl restart ${cfg.wgUnit}
      after: ${toString cfg.recovery.after}
      cooldown: ${toString cfg.recovery.cooldown}
  '' + lib.optionalString cfg.metrics.enable ''
    metrics_listen: ${cfg.metrics.address}:${toString cfg.metrics.port}
  '');
in {
  options.services.portgate-client = {
    enable = lib.mkEnableOption "portgate-client, the NAT-PMP port keeper";
    package = lib.mkOption { type = lib.types.package; description = "portgate, built from this repository."; };
    interface = lib.mkOption { type = lib.types.str; default = "wg0"; };
    gateway = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "10.2.0.1"; };
    wgUnit = lib.mkOption { type = lib.types.str; default = "wg-quick-wg0.service"; };
    lifetime = lib.mkOption { type = lib.types.int; default = 60; };
    renewInterval = lib.mkOption { type = lib.types.int; default = 45; };
    qbittorrent = {
      enable = lib.mkEnableOption "pushing the port to qBittorrent";
      url = lib.mkOption { type = lib.types.str; default = "http://127.0.0.1:8080"; };
      username = lib.mkOption { type = lib.types.str; default = "admin"; };
      passwordFile = lib.mkOption { type = lib.types.path; };
    };
    recovery = {
      enable = lib.mkEnableOption "restarting WireGuard after failed renewals";
      after = lib.mkOption { type = lib.types.int; default = 3; };
      cooldown = lib.mkOption { type = lib.types.int; default = 10; };
    };
    metrics = {
      enable = lib.mkEnableOption "the Prometheus endpoint";
      address = lib.mkOption { type = lib.types.str; default = "127.0.0.1"; };
      port = lib.mkOption { type = lib.types.port; default = 9836; };
    };
  };
  config = lib.mkIf cfg.enable {
    systemd.services.portgate-client = {
      description = "portgate-client: keep the forwarded port alive behind WireGuard";
      bindsTo = [ cfg.wgUnit ];
      after = [ cfg.wgUnit ];
      wants = lib.optional cfg.qbittorrent.enable "qbittorrent.service";
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        ExecStart = "${cfg.package}/bin/portgate-client -f -c ${yaml}";
        Restart = "on-failure";
        RestartSec = "5s";
        RuntimeDirectory = "portgate-client";
        LoadCredential = lib.optional cfg.qbittorrent.enable "qbittorrent.pass:${cfg.qbittorrent.passwordFile}";
        # Recovery restarts a system unit: that needs root.
        DynamicUser = !cfg.recovery.enable;
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
      };
    };
  };
}
