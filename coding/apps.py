from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Coding"

    def ready(self):
        from coding import bench_agreement, bench_load, bench_retrieve
        from coding.bench import report_section, run_coding
        from coding.corrections import carry_codings
        from coding.demo import demo_coding
        from coding.reconcile.demo import demo_reconciliation
        from studies import bench, demo
        from transcripts import versions

        demo.register_step(demo_coding)
        demo.register_step(demo_reconciliation)
        versions.register_carrier(carry_codings)
        bench.register(
            "coding",
            run_coding,
            "a 15,000-word transcript with 1,000 codings: render, and 500 applies",
        )
        bench.register_report(report_section)
        bench.register(
            "retrieve",
            bench_retrieve.run_retrieve,
            "one code's 2,622 extracts across 50 transcripts with 10,000 codings: first page, "
            "every page, all in one call",
        )
        bench.register_report(bench_retrieve.report_section)
        bench.register(
            "load",
            bench_load.run_load,
            "20 coders applying codes at once for 30 s against gunicorn and PostgreSQL "
            "(the full stack only)",
        )
        bench.register_report(bench_load.report_section)
        bench.register(
            "agreement",
            bench_agreement.run_agreement,
            "agreement for the 14-transcript workload with two coders, 300 codes and about 4,000 "
            "codings, per unit, with the time of the krippendorff package on the same matrices",
        )
        bench.register_report(bench_agreement.report_section)
