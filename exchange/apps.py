from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Exchange"

    def ready(self):
        from exchange import bench as exchange_bench
        from studies import bench

        bench.register(
            "interchange",
            exchange_bench.run_interchange,
            "the 14-transcript study (two coders, 300 codes, about 4,000 codings, memos, "
            "attributes): extracts as CSV and .xlsx, REFI-QDA export, and import of that file "
            "into a fresh study",
        )
        bench.register(
            "docx",
            exchange_bench.run_docx,
            "the report as .docx with 10,000 extracts across six themes of a 50-transcript "
            "study, and its 10,000 codings as CSV and .xlsx",
        )
        bench.register_report(exchange_bench.report_section)
