"""The referrals domain: plain Python, no framework, no database, no Kafka."""
