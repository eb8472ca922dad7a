"""What runs on a node host: cloud-init user data, systemd units and the bootstrap script."""
