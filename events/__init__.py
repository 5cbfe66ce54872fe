"""The domain: developments in international cooperation, recorded as events of subjects."""
