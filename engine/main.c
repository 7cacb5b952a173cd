/* main.c — the covcast executable: everything is in cli.c. */
int cov_cli_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return cov_cli_main(argc, argv);
}
