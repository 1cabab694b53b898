"""Background work started and stopped with the app: webhook deliveries and email."""
