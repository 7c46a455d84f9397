from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Coding"

    def ready(self):
        from coding.bench import report_section, run_coding
        from coding.corrections import carry_codings
        from coding.demo import demo_coding
        from studies import bench, demo
        from transcripts import versions

        demo.register_step(demo_coding)
        versions.register_carrier(carry_codings)
        bench.register(
            "coding",
            run_coding,
            "a 15,000-word transcript with 1,000 codings: render, and 500 applies",
        )
        bench.register_report(report_section)
