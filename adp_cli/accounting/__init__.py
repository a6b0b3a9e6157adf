"""What calls cost: the model catalog with its prices, exact o200k token counts, and the daily
ledger of what was spent."""
