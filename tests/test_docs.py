from simulation.outputs.docs import main


def test_generated_doc_tables_are_up_to_date(capsys):
    assert main(["--check"]) == 0, capsys.readouterr().out + "\nrun: python -m simulation.outputs.docs --write"
