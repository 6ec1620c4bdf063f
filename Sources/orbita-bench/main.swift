import ArgumentParser

OrbitaBench.main()
