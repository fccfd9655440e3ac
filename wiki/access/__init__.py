"""Who may do what: the access policy, spaces, accounts, tokens, login."""
