# syntax=docker/dockerfile:1
# scheduler-service image: `docker build -t scheduler-service .` from the repository root.
#
# Build stage: the .NET 10 SDK restores (cached as long as no project file or package version changes) and
# publishes Scheduler.Service in Release; warnings are errors and code style is enforced, as in ./test.sh.
# Runtime stage: the chiseled ASP.NET Core image, `-extra` flavour so that ICU and time zone data are there
# (IANA time zones in cron schedules, culture-aware formatting). No shell, no package manager, non-root.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig BannedSymbols.txt ./
COPY Scheduler.Contracts/Scheduler.Contracts.csproj Scheduler.Contracts/
COPY Scheduler.Jobs/Scheduler.Jobs.csproj Scheduler.Jobs/
COPY Scheduler.Service/Scheduler.Service.csproj Scheduler.Service/
RUN dotnet restore Scheduler.Service/Scheduler.Service.csproj
COPY Scheduler.Contracts/ Scheduler.Contracts/
COPY Scheduler.Jobs/ Scheduler.Jobs/
COPY Scheduler.Service/ Scheduler.Service/
# The SQL migrations are embedded in the service's assembly.
COPY database/ database/
RUN dotnet publish Scheduler.Service/Scheduler.Service.csproj -c Release --no-restore -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra AS runtime
WORKDIR /app
COPY --from=build /app ./
# The service listens on 8080 on every interface (PORT and HOST; the Kubernetes ConfigMap says the same).
ENV PORT=8080 \
    HOST=0.0.0.0
EXPOSE 8080
# The image's `app` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1654
# `migrate` as the argument applies pending migrations and exits:
#   docker run --rm -e ConnectionStrings__Scheduler=… scheduler-service migrate
ENTRYPOINT ["dotnet", "Scheduler.Service.dll"]
