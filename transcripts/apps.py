from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self):
        from studies import demo, withdrawal
        from transcripts.demo import demo_transcripts
        from transcripts.withdrawal import derived_from

        withdrawal.register(derived_from)
        demo.register_step(demo_transcripts)
