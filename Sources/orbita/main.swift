import OrbitaCommands

await OrbitaCLI.main()
