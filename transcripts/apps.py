from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self):
        from studies import bench, demo, withdrawal
        from transcripts.bench import report_section, run_detect, run_import
        from transcripts.demo import demo_transcripts
        from transcripts.withdrawal import derived_from

        withdrawal.register(derived_from)
        demo.register_step(demo_transcripts)
        bench.register(
            "import",
            run_import,
            "14 one-hour interviews as .docx and Teams .vtt, upload to stored turns",
        )
        bench.register(
            "detect", run_detect, "identifier detection over them with a 2,000-entry deny-list"
        )
        bench.register_report(report_section)
