"""Operations: the live leak monitor service, its archive, the dashboard and the crew display."""
