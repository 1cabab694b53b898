"""Homeward referrals service: the partner directory and closed-loop referrals from
coordinators to partner agencies, with deadlines and escalation."""
