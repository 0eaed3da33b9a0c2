"""'Assistance en ligne': conversations between a customer, a vendor and the operator's
customer service, with their clocks (CS-1, CS-2), escalation, the contact form (CS-4),
attachments and replies by email. The domain core lives here; pages come on top of it."""
