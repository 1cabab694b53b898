"""Tables, the DNS check of webhook targets and the SMTP mailer."""
