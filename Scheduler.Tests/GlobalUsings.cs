global using NUnit.Framework;
global using Scheduler.Testing;
