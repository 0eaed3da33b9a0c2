"""The operator's customer-service console (CS-5): the queue, a thread with its order, the
agents' actions, and the supervisor's figures."""
